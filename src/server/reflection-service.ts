/**
 * gRPC server reflection, v1 and v1alpha (grpcurl, grpcui and Postman try v1 first and fall back to
 * v1alpha). Both versions share one implementation: their messages are wire-identical, so v1alpha
 * requests are re-read as v1 and the v1 answers re-read as v1alpha.
 */
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { Code, type ServiceImpl } from "@connectrpc/connect";
import {
  ServerReflection as ServerReflectionV1,
  ServerReflectionRequestSchema as RequestV1Schema,
  ServerReflectionResponseSchema as ResponseV1Schema,
  type ServerReflectionRequest as RequestV1,
  type ServerReflectionResponse as ResponseV1,
} from "../../gen/grpc/reflection/v1/reflection_pb.js";
import {
  ServerReflection as ServerReflectionV1alpha,
  ServerReflectionRequestSchema as RequestV1alphaSchema,
  ServerReflectionResponseSchema as ResponseV1alphaSchema,
} from "../../gen/grpc/reflection/v1alpha/reflection_pb.js";
import type { DescriptorIndex } from "./descriptor-index.js";

/** Answers one reflection request (v1 types). */
export function answerReflectionRequest(index: DescriptorIndex, request: RequestV1): ResponseV1 {
  const base = { validHost: request.host, originalRequest: request };
  const notFound = (message: string): ResponseV1 =>
    create(ResponseV1Schema, {
      ...base,
      messageResponse: { case: "errorResponse", value: { errorCode: Code.NotFound, errorMessage: message } },
    });
  const files = (bytes: Uint8Array[]): ResponseV1 =>
    create(ResponseV1Schema, {
      ...base,
      messageResponse: { case: "fileDescriptorResponse", value: { fileDescriptorProto: bytes } },
    });

  const message = request.messageRequest;
  switch (message.case) {
    case "listServices":
      return create(ResponseV1Schema, {
        ...base,
        messageResponse: {
          case: "listServicesResponse",
          value: { service: index.serviceNames.map((name) => ({ name })) },
        },
      });
    case "fileByFilename": {
      const file = index.fileByName(message.value);
      return file ? files(index.serializeWithDependencies(file)) : notFound(`file "${message.value}" not found`);
    }
    case "fileContainingSymbol": {
      const file = index.fileContainingSymbol(message.value);
      return file ? files(index.serializeWithDependencies(file)) : notFound(`symbol "${message.value}" not found`);
    }
    case "fileContainingExtension":
      return notFound(`no extension ${message.value.extensionNumber} of "${message.value.containingType}"`);
    case "allExtensionNumbersOfType":
      if (!index.hasMessage(message.value)) return notFound(`type "${message.value}" not found`);
      return create(ResponseV1Schema, {
        ...base,
        messageResponse: {
          case: "allExtensionNumbersResponse",
          value: { baseTypeName: message.value, extensionNumber: [] },
        },
      });
    default:
      return create(ResponseV1Schema, {
        ...base,
        messageResponse: {
          case: "errorResponse",
          value: { errorCode: Code.InvalidArgument, errorMessage: "empty reflection request" },
        },
      });
  }
}

/** grpc.reflection.v1.ServerReflection. */
export function createReflectionV1Impl(index: DescriptorIndex): ServiceImpl<typeof ServerReflectionV1> {
  return {
    async *serverReflectionInfo(requests) {
      for await (const request of requests) yield answerReflectionRequest(index, request);
    },
  };
}

/** grpc.reflection.v1alpha.ServerReflection, answered by the v1 implementation. */
export function createReflectionV1alphaImpl(index: DescriptorIndex): ServiceImpl<typeof ServerReflectionV1alpha> {
  return {
    async *serverReflectionInfo(requests) {
      for await (const request of requests) {
        const asV1 = fromBinary(RequestV1Schema, toBinary(RequestV1alphaSchema, request));
        const answer = answerReflectionRequest(index, asV1);
        yield fromBinary(ResponseV1alphaSchema, toBinary(ResponseV1Schema, answer));
      }
    },
  };
}
