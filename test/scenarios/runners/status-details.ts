/**
 * Decodes `grpc-status-details-bin` (a `google.rpc.Status`) into the typed details transcripts need, for
 * clients that hand over the raw trailer (grpc-js). google/rpc/status.proto is not in gen/, and Status is
 * three fields, so it is read with the wire reader rather than generated.
 */
import { createRegistry, fromBinary } from "@bufbuild/protobuf";
import type { DescMessage, MessageShape } from "@bufbuild/protobuf";
import { BinaryReader, WireType } from "@bufbuild/protobuf/wire";
import { AnySchema, anyUnpack } from "@bufbuild/protobuf/wkt";
import type { Any } from "@bufbuild/protobuf/wkt";
import { BadRequestSchema, ErrorInfoSchema, RetryInfoSchema } from "../../../gen/google/rpc/error_details_pb.js";
import { FailureDetailsSchema } from "../../../gen/modelgate/v1/errors_pb.js";
import type { DecodedDetails } from "./transcript.js";

const registry = createRegistry(ErrorInfoSchema, RetryInfoSchema, BadRequestSchema, FailureDetailsSchema);

/** The typed details in a serialised google.rpc.Status; unknown detail types are ignored. */
export function decodeStatusDetails(bytes: Uint8Array): DecodedDetails {
  const anys: Any[] = [];
  const reader = new BinaryReader(bytes);
  while (reader.pos < reader.len) {
    const [field, wireType] = reader.tag();
    if (field === 3 && wireType === WireType.LengthDelimited) anys.push(fromBinary(AnySchema, reader.bytes()));
    else reader.skip(wireType);
  }
  return {
    errorInfo: first(anys, ErrorInfoSchema),
    retryInfo: first(anys, RetryInfoSchema),
    badRequest: first(anys, BadRequestSchema),
    failure: first(anys, FailureDetailsSchema),
  };
}

function first<Desc extends DescMessage>(anys: Any[], schema: Desc): MessageShape<Desc> | undefined {
  for (const any of anys) {
    if (any.typeUrl.endsWith(`/${schema.typeName}`)) {
      const message = anyUnpack(any, registry);
      if (message !== undefined) return message as MessageShape<Desc>;
    }
  }
  return undefined;
}
