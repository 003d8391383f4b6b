/**
 * A server for the fast-path suites: the gateway's service over a fake engine, behind the node handler
 * with the fast paths switched on or off, so a suite can send the same bytes to two variants and compare.
 */
import { Code, ConnectError, type HandlerContext, type ServiceImpl } from "@connectrpc/connect";
import { GatewayService } from "../../gen/modelgate/v1/gateway_service_pb.js";
import { configSchema } from "../../src/config/schema.js";
import { createLogger } from "../../src/observability/logger.js";
import { createCorsPolicy } from "../../src/server/cors.js";
import { createGatewayServiceImpl } from "../../src/server/gateway-service.js";
import { createProtocolListener } from "../../src/server/listener.js";
import { createNodeHandler } from "../../src/server/node-handler.js";
import { createFakeEngine, type FakeEngine } from "./fake-engine.js";

export interface Variant {
  readonly port: number;
  readonly engine: FakeEngine;
  /** Every context the Complete implementation was called with, in order. */
  readonly contexts: HandlerContext[];
  shutDown(): void;
  close(): Promise<void>;
}

export interface FastPaths {
  connectUnaryFastPath: boolean;
  grpcUnaryFastPath: boolean;
}

/**
 * The gateway's service, plus three test-only models on Complete that exercise what the gateway's own
 * implementation never does: response headers and trailers, an error with metadata, a large response.
 */
function testService(engine: FakeEngine, contexts: HandlerContext[]): ServiceImpl<typeof GatewayService> {
  const config = configSchema.parse({ providers: {}, deployments: {}, aliases: {} }).server;
  const gateway = createGatewayServiceImpl(engine, { config, logger: createLogger({ level: "silent" }) });
  return {
    ...gateway,
    complete(request, context) {
      contexts.push(context);
      switch (request.model) {
        case "test:trailers":
          context.responseHeader.set("x-test-header", "h");
          context.responseTrailer.set("x-test-trailer", "t");
          context.responseTrailer.append("x-test-trailer", "u");
          return { requestId: request.requestId, text: "with trailers" };
        case "test:error-metadata":
          throw new ConnectError("refused with metadata", Code.FailedPrecondition, { "x-test-metadata": "m" });
        case "test:large":
          return { requestId: request.requestId, text: "large ".repeat(1_000) };
        default:
          return gateway.complete(request, context);
      }
    },
  };
}

/** Starts a variant on 127.0.0.1:0 with the given fast paths and request limit. */
export async function startVariant(fastPaths: FastPaths, maxMessageBytes: number): Promise<Variant> {
  const engine = createFakeEngine();
  const contexts: HandlerContext[] = [];
  const shutdown = new AbortController();
  const handler = createNodeHandler({
    routes: (router) => router.service(GatewayService, testService(engine, contexts)),
    maxMessageBytes,
    shutdownSignal: shutdown.signal,
    cors: createCorsPolicy([]),
    logger: createLogger({ level: "silent" }),
    ...fastPaths,
  });
  const listener = createProtocolListener(handler);
  const port = await listener.listen(0, "127.0.0.1");
  return {
    port,
    engine,
    contexts,
    shutDown: () => shutdown.abort(new ConnectError("the gateway is shutting down", Code.Unavailable)),
    async close() {
      listener.stopAccepting();
      listener.destroyAll();
      await listener.whenClosed();
    },
  };
}
