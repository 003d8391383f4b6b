/**
 * A null GatewayService on the same framework as modelgate (connect-node 2.1, Connect + gRPC + gRPC-Web,
 * HTTP/1.1 and h2c on one port) that answers with constants and calls no upstream. Benchmarking it beside
 * the gateway separates what the framework costs from what the gateway adds.
 *
 * `Complete` returns a fixed answer. `StreamComplete` sends start, `n` text deltas and finish, where `n`
 * comes from a model name such as `mock-stream-32-0` (default 32); it does not pace them.
 *
 * Run: `npx tsx bench/null-server.ts --port 18190` (prints `listening <port>`).
 */
import http from "node:http";
import http2 from "node:http2";
import net from "node:net";
import type { AddressInfo } from "node:net";
import { pathToFileURL } from "node:url";
import { create } from "@bufbuild/protobuf";
import type { ConnectRouter } from "@connectrpc/connect";
import { connectNodeAdapter } from "@connectrpc/connect-node";
import { GatewayService } from "../gen/modelgate/v1/gateway_service_pb.js";
import { CompleteResponseSchema, FinishReason } from "../gen/modelgate/v1/completion_pb.js";
import { StreamCompleteResponseSchema } from "../gen/modelgate/v1/stream_pb.js";

const HTTP2_PREFACE = Buffer.from("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n");

function routes(router: ConnectRouter): void {
  router.service(GatewayService, {
    complete(request) {
      return create(CompleteResponseSchema, {
        requestId: request.requestId || "null",
        text: "Hello from the null handler.",
        finishReason: FinishReason.STOP,
        rawFinishReason: "stop",
        usage: { inputTokens: 12, outputTokens: 8 },
        route: { attempts: [] },
        timings: {},
      });
    },
    async *streamComplete(request) {
      const match = /^mock-stream-(\d+)/.exec(request.model);
      const deltas = match ? Number(match[1]) : 32;
      yield create(StreamCompleteResponseSchema, { event: { case: "start", value: { requestId: "null", deployment: "null", provider: "null" } } });
      for (let index = 0; index < deltas; index++) {
        yield create(StreamCompleteResponseSchema, { event: { case: "textDelta", value: { text: `t${index} ` } } });
      }
      yield create(StreamCompleteResponseSchema, {
        event: { case: "finish", value: { finishReason: FinishReason.STOP, rawFinishReason: "stop", usage: { inputTokens: 12, outputTokens: 8 } } },
      });
    },
    listModels() {
      return {};
    },
    getDeploymentStats() {
      return {};
    },
  });
}

/**
 * Serves `handler` over HTTP/1.1 and h2c (prior knowledge) on one port by looking at the first bytes of
 * each connection, which is what a gateway serving Connect, gRPC and gRPC-Web on one port must do.
 */
export async function listenHttp1AndH2c(
  handler: (request: http.IncomingMessage | http2.Http2ServerRequest, response: http.ServerResponse | http2.Http2ServerResponse) => void,
  port: number,
): Promise<{ port: number; close: () => void }> {
  const h1 = http.createServer({ keepAliveTimeout: 60_000 }, handler);
  const h2 = http2.createServer({ settings: { maxConcurrentStreams: 10_000 } }, handler);
  const front = net.createServer((socket) => {
    socket.once("readable", () => {
      const head: Buffer | null = socket.read(HTTP2_PREFACE.length) ?? socket.read();
      if (head === null) {
        socket.destroy();
        return;
      }
      socket.unshift(head);
      const isHttp2 = head.length >= 3 && head.subarray(0, Math.min(head.length, HTTP2_PREFACE.length)).equals(HTTP2_PREFACE.subarray(0, Math.min(head.length, HTTP2_PREFACE.length)));
      (isHttp2 ? h2 : h1).emit("connection", socket);
    });
  });
  await new Promise<void>((resolve) => front.listen(port, "127.0.0.1", resolve));
  return {
    port: (front.address() as AddressInfo).port,
    close: () => {
      front.close();
      h1.close();
      h2.close();
    },
  };
}

/** Starts the null server on 127.0.0.1. */
export async function startNullServer(port = 0): Promise<{ port: number; close: () => void }> {
  const handler = connectNodeAdapter({ routes, grpc: true, grpcWeb: true, connect: true });
  return listenHttp1AndH2c(handler, port);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const index = process.argv.indexOf("--port");
  const server = await startNullServer(index > 0 ? Number(process.argv[index + 1]) : 0);
  console.log(`listening ${server.port}`);
  const stop = (): void => {
    server.close();
    process.exit(0);
  };
  process.on("SIGTERM", stop);
  process.on("SIGINT", stop);
}
