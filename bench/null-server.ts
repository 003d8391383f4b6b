/**
 * A null GatewayService on the same framework as modelgate (connect-node 2.1 serving Connect, gRPC and
 * gRPC-Web over HTTP/1.1 and h2c on one port, through modelgate's own sniffing listener) that answers with
 * constants and calls no upstream. Benchmarking it beside the gateway separates what the framework costs
 * from what the gateway adds.
 *
 * `Complete` returns a fixed answer. `StreamComplete` sends start, `n` text deltas and finish, where `n`
 * comes from a model name such as `mock-stream-32-0` (default 32); it does not pace them.
 *
 * Run: `npx tsx bench/null-server.ts --port 18190` (prints `listening <port>`). The harness runs its
 * bundle, `dist/bench/null-server.mjs`, built like the gateway's (bench/lib/targets.ts).
 */
import { pathToFileURL } from "node:url";
import { create } from "@bufbuild/protobuf";
import type { ConnectRouter } from "@connectrpc/connect";
import { connectNodeAdapter } from "@connectrpc/connect-node";
import { GatewayService } from "../gen/modelgate/v1/gateway_service_pb.js";
import { CompleteResponseSchema, FinishReason } from "../gen/modelgate/v1/completion_pb.js";
import { StreamCompleteResponseSchema } from "../gen/modelgate/v1/stream_pb.js";
import { createProtocolListener, type AnyRequestHandler } from "../src/server/listener.js";

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

/** Starts the null server on 127.0.0.1. */
export async function startNullServer(port = 0): Promise<{ port: number; close: () => void }> {
  const handler = connectNodeAdapter({ routes, grpc: true, grpcWeb: true, connect: true });
  const listener = createProtocolListener(handler as AnyRequestHandler);
  const bound = await listener.listen(port, "127.0.0.1");
  return {
    port: bound,
    close: () => {
      listener.stopAccepting();
      listener.destroyAll();
    },
  };
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
