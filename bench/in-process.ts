/**
 * The gateway's own cost per call with no network at all, for optimisation work: the service and the
 * engine (routing, attempt, breaker, stats, cost, call scope) over an adapter that answers at once,
 * with the request parsed from and every response written to Connect JSON as the server does. What is
 * left out is exactly what the loopback benchmarks add: sockets, HTTP, the upstream's own parsing.
 *
 * Prints wall time per call, one call at a time after a warm-up, for a unary call and for a stream of
 * `--deltas` text deltas. Run it with `node --cpu-prof` through a bundle for a profile with clean names:
 *   npx esbuild bench/in-process.ts --bundle --platform=node --format=esm --outfile=/tmp/in-process.mjs \
 *     --banner:js="import { createRequire as r } from 'module'; const require = r(import.meta.url);"
 *
 *   npx tsx bench/in-process.ts [--calls 30000] [--deltas 1]
 */
import { create, fromJsonString, toJsonString } from "@bufbuild/protobuf";
import { createContextValues, type HandlerContext } from "@connectrpc/connect";
import { CompleteRequestSchema, CompleteResponseSchema, type CompleteResponse } from "../gen/modelgate/v1/completion_pb.js";
import { GatewayService } from "../gen/modelgate/v1/gateway_service_pb.js";
import { StreamCompleteRequestSchema, StreamCompleteResponseSchema, type StreamCompleteResponse } from "../gen/modelgate/v1/stream_pb.js";
import { configSchema } from "../src/config/schema.js";
import { createLogger } from "../src/observability/logger.js";
import type { CompleteResult, ProviderAdapter, StreamPart } from "../src/providers/spec.js";
import { createGatewayEngine } from "../src/routing/create-gateway-engine.js";
import { openRequestScope } from "../src/gateway/request-scope.js";
import { createGatewayServiceImpl } from "../src/server/gateway-service.js";
import { gatewayErrorForAbort } from "../src/server/interceptors/abort-reasons.js";
import { requestScopeKey } from "../src/server/interceptors/request-scope-key.js";
import { argument } from "./lib/cli.js";

const calls = Number(argument("calls", "30000"));
const deltas = Number(argument("deltas", "1"));

const config = configSchema.parse({
  server: { logLevel: "warn" },
  providers: { mock: { kind: "openai", baseUrl: "http://127.0.0.1:1/v1", apiKey: "x" } },
  deployments: { instant: { provider: "mock", model: "mock-instant" } },
  aliases: { "mock-instant": { tiers: [["instant"]] } },
});

const answer: CompleteResult = {
  text: "Hello there!",
  reasoning: "",
  toolCalls: [],
  finishReason: "stop",
  rawFinishReason: "stop",
  usage: { inputTokens: 9, outputTokens: 3 },
  warnings: [],
};

const adapter: ProviderAdapter = {
  kind: "openai",
  complete: async () => ({ ...answer }),
  async *stream(): AsyncGenerator<StreamPart, void, undefined> {
    yield { type: "metadata", vendorModel: "mock-instant", responseId: "in-process" };
    for (let index = 0; index < deltas; index++) yield { type: "text-delta", text: "Hello" };
    yield { type: "finish", finishReason: "stop", rawFinishReason: "stop", usage: { inputTokens: 9, outputTokens: deltas } };
  },
  close: async () => undefined,
};

const logger = createLogger({ level: "warn" });
const engine = await createGatewayEngine(config, { logger, adapters: new Map([["mock", adapter]]) });
const service = createGatewayServiceImpl(engine, { config: config.server, logger });
const requestJson = JSON.stringify({ model: "mock-instant", messages: [{ role: "ROLE_USER", parts: [{ text: "Say hello." }] }] });

/**
 * What connect hands an implementation (our server's contexts are cheaper; this is the upper bound),
 * with the RequestScope the deadline interceptor would have opened (closed by `done`).
 */
function handlerContext(method: HandlerContext["method"]): HandlerContext & { done(): void } {
  const signal = new AbortController().signal;
  const scope = openRequestScope({ method: method.name, requestId: "in-process", timeoutMs: 60_000, cancel: signal, reasonFor: gatewayErrorForAbort, logger });
  return {
    done: () => scope.close(),
    service: GatewayService,
    method,
    protocolName: "connect",
    requestMethod: "POST",
    url: "http://127.0.0.1/",
    signal,
    timeoutMs: () => undefined,
    requestHeader: new Headers(),
    responseHeader: new Headers(),
    responseTrailer: new Headers(),
    values: createContextValues().set(requestScopeKey, scope),
  };
}

type Unary = (request: unknown, context: HandlerContext) => Promise<CompleteResponse>;
type Streaming = (request: unknown, context: HandlerContext) => AsyncIterable<StreamCompleteResponse>;

async function unaryCall(): Promise<void> {
  const request = fromJsonString(CompleteRequestSchema, requestJson, { ignoreUnknownFields: true });
  const context = handlerContext(GatewayService.method.complete);
  const response = await (service.complete as Unary)(request, context);
  toJsonString(CompleteResponseSchema, create(CompleteResponseSchema, response));
  context.done();
}

async function streamCall(): Promise<void> {
  const request = fromJsonString(StreamCompleteRequestSchema, requestJson, { ignoreUnknownFields: true });
  const context = handlerContext(GatewayService.method.streamComplete);
  for await (const event of (service.streamComplete as Streaming)(request, context)) {
    toJsonString(StreamCompleteResponseSchema, create(StreamCompleteResponseSchema, event));
  }
  context.done();
}

async function measure(name: string, call: () => Promise<void>): Promise<void> {
  for (let index = 0; index < Math.max(5_000, calls / 3); index++) await call();
  const began = process.hrtime.bigint();
  for (let index = 0; index < calls; index++) await call();
  const microseconds = Number(process.hrtime.bigint() - began) / calls / 1_000;
  console.log(`${name.padEnd(36)} ${microseconds.toFixed(1).padStart(7)} µs per call`);
}

await measure("Complete", unaryCall);
// Every delta costs one event-loop turn on purpose (gateway-service.ts says why): it is in these figures.
await measure(`StreamComplete, ${deltas} delta(s)`, streamCall);
await engine.close();
