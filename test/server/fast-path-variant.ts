/**
 * A server for the fast-path suites: the gateway's service over a fake engine, behind the node handler
 * with the fast paths switched on or off, so a suite can send the same bytes to two variants and compare.
 */
import type { MessageInitShape } from "@bufbuild/protobuf";
import { Code, ConnectError, type HandlerContext, type ServiceImpl } from "@connectrpc/connect";
import { GatewayService } from "../../gen/modelgate/v1/gateway_service_pb.js";
import type { StreamCompleteResponseSchema } from "../../gen/modelgate/v1/stream_pb.js";
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
  /** Every context the StreamComplete implementation was called with, in order. */
  readonly streamContexts: HandlerContext[];
  /** One probe per "test:stream-gated", "test:stream-waits-first" and "test:stream-many" call, in order. */
  readonly probes: StreamProbe[];
  shutDown(): void;
  close(): Promise<void>;
}

export interface FastPaths {
  connectUnaryFastPath: boolean;
  grpcUnaryFastPath: boolean;
  connectStreamFastPath: boolean;
  grpcStreamFastPath: boolean;
}

/** What a probed StreamComplete implementation ("test:stream-gated", "test:stream-many") saw. */
export interface StreamProbe {
  /** Lets "test:stream-gated" go on past its first message, and "test:stream-waits-first" yield its only one. */
  open(): void;
  /** How many messages the implementation has yielded so far. */
  readonly produced: number;
  /** In order: "signal aborted" when its signal fired, then "ended" (ran to its end) or "stopped" (returned early). */
  readonly seen: string[];
  /** Resolves when the implementation's generator is over. */
  readonly over: Promise<void>;
}

type StreamMessage = MessageInitShape<typeof StreamCompleteResponseSchema>;

const textDelta = (text: string): StreamMessage => ({ event: { case: "textDelta", value: { text } } });

function createProbe(context: HandlerContext): StreamProbe & { opened: Promise<void>; count(): void; finish(completed: boolean): void } {
  let open = (): void => undefined;
  const opened = new Promise<void>((resolve) => {
    open = resolve;
  });
  let over = (): void => undefined;
  const overPromise = new Promise<void>((resolve) => {
    over = resolve;
  });
  const seen: string[] = [];
  let produced = 0;
  context.signal.addEventListener("abort", () => seen.push("signal aborted"), { once: true });
  return {
    open,
    opened,
    get produced() {
      return produced;
    },
    seen,
    over: overPromise,
    count() {
      produced += 1;
    },
    finish(completed) {
      seen.push(completed ? "ended" : "stopped");
      over();
    },
  };
}

/** Number and size of the messages of "test:stream-many": more than loopback socket buffers hold. */
export const manyMessages = { count: 400, textBytes: 32 * 1024 };

/**
 * The test-only models on StreamComplete: what the gateway's own implementation never does (headers
 * and trailers, errors before and after the first message, large messages), and probes that show when
 * the implementation is asked for each message and whether it was stopped.
 */
async function* testStream(model: string, context: HandlerContext, probes: StreamProbe[]): AsyncGenerator<StreamMessage> {
  switch (model) {
    case "test:stream-trailers":
      context.responseHeader.set("x-test-header", "h");
      yield textDelta("with trailers");
      // After the first message the head is on the wire: connect never sends this one.
      context.responseHeader.set("x-test-late-header", "late");
      context.responseTrailer.set("x-test-trailer", "t");
      context.responseTrailer.append("x-test-trailer", "u");
      return;
    case "test:stream-large":
      yield textDelta("large ".repeat(1_000));
      context.responseTrailer.set("x-test-large-trailer", "t".repeat(2_000));
      return;
    case "test:stream-error-before":
      context.responseHeader.set("x-test-header", "h");
      context.responseTrailer.set("x-test-trailer", "t");
      throw new ConnectError("refused before the first message", Code.FailedPrecondition, { "x-test-metadata": "m" });
    case "test:stream-error-after":
      yield textDelta("one ");
      yield textDelta("two ");
      context.responseTrailer.set("x-test-trailer", "t");
      throw new ConnectError("refused after two messages", Code.Aborted, { "x-test-metadata": "m" });
    case "test:stream-plain-error":
      yield textDelta("one ");
      throw new Error("leaked sk-SECRET");
    case "test:stream-gated":
    case "test:stream-waits-first":
    case "test:stream-many": {
      const probe = createProbe(context);
      probes.push(probe);
      let completed = false;
      try {
        if (model === "test:stream-waits-first") {
          // As a completion waits on its upstream: a header first, then nothing until opened.
          context.responseHeader.set("x-test-header", "h");
          await probe.opened;
          probe.count();
          yield textDelta("after the wait");
        } else if (model === "test:stream-gated") {
          probe.count();
          yield textDelta("first ");
          await probe.opened;
          probe.count();
          yield textDelta("second ");
          probe.count();
          yield textDelta("third");
        } else {
          const text = "m".repeat(manyMessages.textBytes);
          for (let index = 0; index < manyMessages.count; index++) {
            probe.count();
            yield textDelta(text);
          }
        }
        completed = true;
      } finally {
        probe.finish(completed);
      }
      return;
    }
    default:
      throw new Error(`not a test stream model: ${model}`);
  }
}

/**
 * The gateway's service, plus test-only models that exercise what the gateway's own implementation
 * never does: on Complete, response headers and trailers, an error with metadata, a large response; on
 * StreamComplete, the models of `testStream`.
 */
function testService(
  engine: FakeEngine,
  contexts: HandlerContext[],
  streamContexts: HandlerContext[],
  probes: StreamProbe[],
): ServiceImpl<typeof GatewayService> {
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
    streamComplete(request, context) {
      streamContexts.push(context);
      if (request.model.startsWith("test:stream-")) return testStream(request.model, context, probes);
      return gateway.streamComplete(request, context);
    },
  };
}

/** Starts a variant on 127.0.0.1:0 with the given fast paths and request limit. */
export async function startVariant(fastPaths: FastPaths, maxMessageBytes: number): Promise<Variant> {
  const engine = createFakeEngine();
  const contexts: HandlerContext[] = [];
  const streamContexts: HandlerContext[] = [];
  const probes: StreamProbe[] = [];
  const shutdown = new AbortController();
  const handler = createNodeHandler({
    routes: (router) => router.service(GatewayService, testService(engine, contexts, streamContexts, probes)),
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
    streamContexts,
    probes,
    shutDown: () => shutdown.abort(new ConnectError("the gateway is shutting down", Code.Unavailable)),
    async close() {
      listener.stopAccepting();
      listener.destroyAll();
      await listener.whenClosed();
    },
  };
}
