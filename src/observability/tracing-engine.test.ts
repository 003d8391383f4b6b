import { propagation, trace } from "@opentelemetry/api";
import { W3CTraceContextPropagator } from "@opentelemetry/core";
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from "@opentelemetry/sdk-trace-base";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { GatewayError, type CallContext, type CompletionEngine, type GatewayEvent, type GatewayRequest, type RouteRecord } from "../gateway/types.js";
import { traceContextFromHeaders } from "./trace-context.js";
import { createTracingEngine } from "./tracing-engine.js";

const route: RouteRecord = {
  requestedModel: "assistant",
  strategy: "priority",
  attempts: [{ deployment: "a", provider: "sim", outcome: "failed", reason: "PROVIDER_UNAVAILABLE", latencyMs: 3, retry: 0 }],
};

const request = { model: "assistant", requestId: "req-1", sampling: { stopSequences: [], temperature: 0.5 } } as unknown as GatewayRequest;

function contextFor(headers?: Headers): CallContext {
  return { signal: new AbortController().signal, deadlineAt: Date.now() + 1_000, receivedAt: Date.now(), trace: headers === undefined ? undefined : traceContextFromHeaders(headers) };
}

function fakeEngine(overrides: Partial<CompletionEngine>): CompletionEngine {
  return {
    complete: () => Promise.reject(new Error("not used")),
    stream: () => (async function* () {})(),
    listModels: () => ({ aliases: [], deployments: [] }),
    deploymentStats: async () => [],
    close: async () => undefined,
    ...overrides,
  };
}

async function* twoDeltasThenMore(): AsyncGenerator<GatewayEvent> {
  yield { type: "start", requestId: "req-1", deployment: "a", provider: "sim" };
  yield { type: "text-delta", text: "one" };
  yield { type: "text-delta", text: "two" };
  throw new Error("never reached: the reader stops first");
}

describe("createTracingEngine", () => {
  it("hands the engine's stream back untouched while no SDK is registered", () => {
    const events = twoDeltasThenMore();
    const engine = createTracingEngine(fakeEngine({ stream: () => events }), { providerKind: () => "openai" });
    const context = contextFor(new Headers({ traceparent: "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01" }));
    expect(engine.stream(request, context)).toBe(events);
    expect(trace.getSpanContext(context.trace ?? ({} as never))).toBeUndefined();
  });

  describe("with an SDK registered", () => {
    const exporter = new InMemorySpanExporter();
    const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
    beforeAll(() => {
      trace.setGlobalTracerProvider(provider);
      propagation.setGlobalPropagator(new W3CTraceContextPropagator());
    });
    beforeEach(() => exporter.reset());
    afterAll(async () => {
      await provider.shutdown();
      trace.disable();
      propagation.disable();
    });

    it("ends a stream's span as CANCELED when its reader stops before the end", async () => {
      const engine = createTracingEngine(fakeEngine({ stream: () => twoDeltasThenMore() }), { providerKind: () => "openai" });
      const context = contextFor(new Headers({ traceparent: "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01" }));
      for await (const event of engine.stream(request, context)) {
        if (event.type === "text-delta") break;
      }
      const [span] = exporter.getFinishedSpans();
      expect(span.name).toBe("chat assistant");
      expect(span.spanContext().traceId).toBe("0af7651916cd43dd8448eb211c80319c");
      expect(span.parentSpanContext?.spanId).toBe("b7ad6b7169203331");
      expect(span.attributes).toMatchObject({ "gen_ai.request.stream": true, "gen_ai.request.temperature": 0.5, "error.type": "CANCELED" });
      // The engine below runs in the request span's context, so its attempts become its children.
      expect(trace.getSpanContext(context.trace ?? ({} as never))?.spanId).toBe(span.spanContext().spanId);
    });

    it("describes a unary failure by its reason, its attempts and the provider that failed", async () => {
      const failure = new GatewayError("PROVIDER_UNAVAILABLE", "upstream said: secret body", {
        failure: { requestId: "req-1", route, usage: { inputTokens: 12, partial: true } },
      });
      const engine = createTracingEngine(fakeEngine({ complete: () => Promise.reject(failure) }), { providerKind: (name) => (name === "sim" ? "gemini" : undefined) });
      await expect(engine.complete(request, contextFor())).rejects.toBe(failure);
      const [span] = exporter.getFinishedSpans();
      expect(span.parentSpanContext).toBeUndefined();
      expect(span.attributes).toMatchObject({
        "error.type": "PROVIDER_UNAVAILABLE",
        "gen_ai.provider.name": "gcp.gemini",
        "modelgate.provider": "sim",
        "modelgate.attempts": 1,
        "gen_ai.usage.input_tokens": 12,
      });
      expect(span.attributes["gen_ai.response.model"]).toBeUndefined();
      expect(JSON.stringify(span.attributes) + JSON.stringify(span.status)).not.toContain("secret body");
    });
  });
});
