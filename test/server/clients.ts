/** Client helpers for the server suites: connect transports of every protocol and a grpc-js client. */
import { fromBinary, toBinary, type DescMessage, type MessageShape } from "@bufbuild/protobuf";
import { ConnectError, createClient, type Client, type Transport } from "@connectrpc/connect";
import { createConnectTransport, createGrpcTransport, createGrpcWebTransport } from "@connectrpc/connect-node";
import * as grpc from "@grpc/grpc-js";
import { GatewayService } from "../../gen/modelgate/v1/gateway_service_pb.js";

export type ProtocolName = "connect-http1" | "connect-h2c" | "grpc-web-http1" | "grpc-h2c";

/** A connect-node transport speaking `protocol` to `baseUrl`. */
export function transportFor(protocol: ProtocolName, baseUrl: string): Transport {
  switch (protocol) {
    case "connect-http1":
      return createConnectTransport({ baseUrl, httpVersion: "1.1" });
    case "connect-h2c":
      return createConnectTransport({ baseUrl, httpVersion: "2" });
    case "grpc-web-http1":
      return createGrpcWebTransport({ baseUrl, httpVersion: "1.1" });
    case "grpc-h2c":
      return createGrpcTransport({ baseUrl });
  }
}

export function gatewayClient(protocol: ProtocolName, baseUrl: string): Client<typeof GatewayService> {
  return createClient(GatewayService, transportFor(protocol, baseUrl));
}

/** grpc-js generic client with protobuf-es serializers: no proto-loader, no .proto files. */
export class GrpcJsGatewayClient {
  private readonly client: grpc.Client;

  constructor(host: string) {
    this.client = new grpc.Client(host, grpc.credentials.createInsecure());
  }

  unary<I extends DescMessage, O extends DescMessage>(
    method: string,
    input: I,
    output: O,
    request: MessageShape<I>,
    metadata = new grpc.Metadata(),
  ): Promise<{ response: MessageShape<O>; metadata: grpc.Metadata }> {
    return new Promise((resolve, reject) => {
      let header = new grpc.Metadata();
      const call = this.client.makeUnaryRequest(
        `/modelgate.v1.GatewayService/${method}`,
        (value: MessageShape<I>) => Buffer.from(toBinary(input, value)),
        (bytes: Buffer) => fromBinary(output, bytes),
        request,
        metadata,
        (error, response) => {
          if (error) reject(error);
          else resolve({ response: response as MessageShape<O>, metadata: header });
        },
      );
      call.on("metadata", (received) => {
        header = received;
      });
    });
  }

  serverStream<I extends DescMessage, O extends DescMessage>(
    method: string,
    input: I,
    output: O,
    request: MessageShape<I>,
  ): grpc.ClientReadableStream<MessageShape<O>> {
    return this.client.makeServerStreamRequest(
      `/modelgate.v1.GatewayService/${method}`,
      (value: MessageShape<I>) => Buffer.from(toBinary(input, value)),
      (bytes: Buffer) => fromBinary(output, bytes),
      request,
    );
  }

  close(): void {
    this.client.close();
  }
}

/** The error a call that must fail failed with; a call that succeeds fails the test. */
export const failure = (promise: Promise<unknown>): Promise<ConnectError> =>
  promise.then(
    () => {
      throw new Error("expected a failure");
    },
    (error: unknown) => ConnectError.from(error),
  );
