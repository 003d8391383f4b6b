import { create } from "@bufbuild/protobuf";
import { Code, ConnectError, createClient, type ServiceImpl } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { Server, ServerCredentials, type Metadata } from "@grpc/grpc-js";
import { afterEach, describe, expect, it, vi } from "vitest";
import { StreamCompleteRequestSchema, StreamCompleteResponseSchema, type StreamCompleteResponse } from "../../../gen/modelgate/v1/stream_pb.js";
import { GatewayService } from "../../../gen/modelgate/v1/gateway_service_pb.js";
import { GrpcJsGatewayClient } from "../../../test/server/clients.js";
import { serveConnectImplOnGrpcJs } from "./serve-connect-impl-on-grpc-js.js";

let server: Server | undefined;
afterEach(() => server?.forceShutdown());

async function serve(impl: Partial<ServiceImpl<typeof GatewayService>>, logger = { error: vi.fn() }): Promise<string> {
  server = new Server();
  serveConnectImplOnGrpcJs(server, GatewayService, impl, { logger });
  const grpcServer = server;
  const port = await new Promise<number>((resolve, reject) =>
    grpcServer.bindAsync("127.0.0.1:0", ServerCredentials.createInsecure(), (error, bound) => (error ? reject(error) : resolve(bound))),
  );
  return `127.0.0.1:${port}`;
}

describe("serveConnectImplOnGrpcJs", () => {
  it("stops pulling from the implementation while the client does not read", async () => {
    let produced = 0;
    const host = await serve({
      async *streamComplete() {
        for (let index = 0; index < 2000; index++) {
          produced++;
          yield { event: { case: "textDelta", value: { text: "x".repeat(64 * 1024) } } };
        }
      },
    });
    const client = new GrpcJsGatewayClient(host);
    const stream = client.serverStream("StreamComplete", StreamCompleteRequestSchema, StreamCompleteResponseSchema, create(StreamCompleteRequestSchema, {}));
    stream.pause();
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(produced).toBeGreaterThan(0);
    expect(produced).toBeLessThan(1000);
    let received = 0;
    for await (const event of stream) if ((event as StreamCompleteResponse).event.case === "textDelta") received++;
    expect(received).toBe(2000);
    client.close();
  });

  it("sends a stream's metadata while the implementation waits for its first message", async () => {
    let open = (): void => undefined;
    const opened = new Promise<void>((resolve) => (open = resolve));
    let produced = 0;
    const host = await serve({
      async *streamComplete(_request, context) {
        context.responseHeader.set("x-custom", "head");
        await opened;
        produced++;
        yield { event: { case: "textDelta", value: { text: "after the wait" } } };
      },
    });
    const client = new GrpcJsGatewayClient(host);
    const stream = client.serverStream("StreamComplete", StreamCompleteRequestSchema, StreamCompleteResponseSchema, create(StreamCompleteRequestSchema, {}));
    const metadata = await new Promise<Metadata>((resolve) => stream.once("metadata", resolve));
    expect(produced).toBe(0);
    expect(metadata.get("x-custom")).toEqual(["head"]);
    open();
    const events: StreamCompleteResponse[] = [];
    for await (const event of stream) events.push(event as StreamCompleteResponse);
    expect(events.map((event) => event.event.case)).toEqual(["textDelta"]);
    client.close();
  });

  it("answers INTERNAL 'internal error' for a thrown non-ConnectError and logs it", async () => {
    const logger = { error: vi.fn() };
    const host = await serve(
      {
        complete() {
          throw new Error("secret upstream text");
        },
      },
      logger,
    );
    const client = createClient(GatewayService, createGrpcTransport({ baseUrl: `http://${host}` }));
    const error = await client.complete({}).then(
      () => undefined,
      (reason: unknown) => ConnectError.from(reason),
    );
    expect(error?.code).toBe(Code.Internal);
    expect(error?.rawMessage).toBe("internal error");
    expect(logger.error).toHaveBeenCalledOnce();
  });

  it("answers UNIMPLEMENTED for a method the implementation lacks", async () => {
    const host = await serve({});
    const client = createClient(GatewayService, createGrpcTransport({ baseUrl: `http://${host}` }));
    await expect(client.listModels({})).rejects.toMatchObject({ code: Code.Unimplemented });
  });

  it("sends response headers and trailers the implementation sets", async () => {
    const host = await serve({
      listModels(_request, context) {
        context.responseHeader.set("x-custom", "head");
        context.responseTrailer.set("x-after", "tail");
        return {};
      },
    });
    const client = createClient(GatewayService, createGrpcTransport({ baseUrl: `http://${host}` }));
    let header: string | null = null;
    let trailer: string | null = null;
    await client.listModels({}, { onHeader: (headers) => (header = headers.get("x-custom")), onTrailer: (trailers) => (trailer = trailers.get("x-after")) });
    expect(header).toBe("head");
    expect(trailer).toBe("tail");
  });
});

