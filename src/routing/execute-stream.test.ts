import { describe, expect, it } from "vitest";
import type { GatewayError, GatewayEvent } from "../gateway/types.js";
import { ProviderError } from "../providers/spec.js";
import { collect, createTestEngine, testConfig, testContext, testRequest } from "./testing/engine-fixture.js";
import { scriptError, scriptText, scriptWaitForConnection, type FakeScript } from "./testing/fake-adapter.js";

const price = { inputNanoUsd: 1_000, outputNanoUsd: 4_000, asOf: "2025-10-01" };

const config = testConfig({
  providers: { p: { kind: "openai-compatible", baseUrl: "http://127.0.0.1:1" } },
  deployments: {
    a: { provider: "p", model: "model-a", price, timeouts: { firstTokenMs: 2_000, idleMs: 1_000 } },
    b: { provider: "p", model: "model-b", price, capabilities: { assistantPrefix: true } },
    c: { provider: "p", model: "model-c", price },
  },
  aliases: { chat: { tiers: [["a"], ["b"]] }, prefixless: { tiers: [["a"], ["c"]] } },
  routing: { retry: { maxRetriesPerDeployment: 0 } },
});

async function engineWith(scripts: Record<string, FakeScript[]>) {
  return createTestEngine({ config, scripts: { p: scripts } });
}

const text = (events: GatewayEvent[]) =>
  events.map((e) => (e.type === "text-delta" ? e.text : "")).join("");

const partial = (content: string, error: ProviderError): FakeScript => [
  { type: "part", part: { type: "text-delta", text: content } },
  { type: "delay", ms: 10 },
  { type: "error", error },
];

describe("executeStream", () => {
  it("falls back silently before commit: the client sees a notice, then the second deployment", async () => {
    const { engine, clock } = await engineWith({
      "model-a": [[{ type: "part", part: { type: "metadata", vendorModel: "model-a" } }, ...scriptError("unavailable", { afterMs: 30 })]],
      "model-b": [scriptText("Hello world", { chunks: 2, firstTokenMs: 20 })],
    });
    const { events, error } = await collect(engine.stream(testRequest("chat"), testContext(clock)));
    expect(error).toBeUndefined();
    expect(events.map((e) => e.type)).toEqual(["fallback", "start", "text-delta", "text-delta", "finish"]);
    expect(events[0]).toEqual({ type: "fallback", fromDeployment: "a", toDeployment: "b", reason: "PROVIDER_UNAVAILABLE" });
    expect(events[1]).toMatchObject({ type: "start", deployment: "b", provider: "p" });
    expect(text(events)).toBe("Hello world");
    const finish = events.at(-1);
    expect(finish).toMatchObject({
      type: "finish",
      usage: { inputTokens: 10, outputTokens: 5 },
      costMicroUsd: 30,
      timings: { timeToFirstTokenMs: 50, totalMs: 50 },
      route: { deployment: "b", attempts: [{ deployment: "a", outcome: "failed" }, { deployment: "b", outcome: "succeeded", timeToFirstTokenMs: 20 }] },
    });
  });

  it("ends with PROVIDER_STREAM_INTERRUPTED after commit, never a finish, with partial usage", async () => {
    const { engine, clock, adapters } = await engineWith({
      "model-a": [partial("Hel", new ProviderError("unavailable", "cut", { usage: { inputTokens: 10, outputTokens: 1 } }))],
      "model-b": [scriptText("never")],
    });
    const { events, error } = await collect(engine.stream(testRequest("chat"), testContext(clock)));
    expect(events.map((e) => e.type)).toEqual(["start", "text-delta"]);
    expect(error).toMatchObject({
      reason: "PROVIDER_STREAM_INTERRUPTED",
      failure: { usage: { inputTokens: 10, outputTokens: 1, partial: true }, costMicroUsd: 14 },
    });
    expect((error as GatewayError).failure?.route.attempts[0]).toMatchObject({ outcome: "interrupted", reason: "PROVIDER_UNAVAILABLE" });
    expect(adapters.get("p")?.callsFor("model-b")).toHaveLength(0);
    expect((await engine.deploymentStats(["a"]))[0].failures).toBe(1);
  });

  it("leaves partial usage and cost absent when the vendor never reported them", async () => {
    const { engine, clock } = await engineWith({ "model-a": [partial("Hel", new ProviderError("unavailable", "cut"))] });
    const { error } = await collect(engine.stream(testRequest("a"), testContext(clock)));
    expect(error).toMatchObject({ reason: "PROVIDER_STREAM_INTERRUPTED" });
    expect((error as GatewayError).failure?.usage).toBeUndefined();
    expect((error as GatewayError).failure?.costMicroUsd).toBeUndefined();
  });

  it("continues on a deployment that accepts an assistant prefix when asked to", async () => {
    const { engine, clock, adapters } = await engineWith({
      "model-a": [partial("Hello, ", new ProviderError("unavailable", "cut", { usage: { inputTokens: 10, outputTokens: 2 } }))],
      "model-b": [scriptText("world", { usage: { inputTokens: 12, outputTokens: 1 } })],
    });
    const request = testRequest("chat", { fallback: { disableFallback: false, continueOnInterruption: true } });
    const { events, error } = await collect(engine.stream(request, testContext(clock)));
    expect(error).toBeUndefined();
    expect(events.map((e) => e.type)).toEqual(["start", "text-delta", "fallback", "text-delta", "finish"]);
    expect(events[2]).toMatchObject({ fromDeployment: "a", toDeployment: "b", reason: "PROVIDER_STREAM_INTERRUPTED" });
    expect(text(events)).toBe("Hello, world");
    const sent = adapters.get("p")?.callsFor("model-b")[0].call.messages.at(-1);
    expect(sent).toEqual({ role: "assistant", parts: [{ type: "text", text: "Hello, " }] });
    expect(events.at(-1)).toMatchObject({ usage: { inputTokens: 22, outputTokens: 3 }, route: { deployment: "b" } });
  });

  it("does not continue on a deployment without assistant-prefix support", async () => {
    const { engine, clock, adapters } = await engineWith({
      "model-a": [partial("Hello, ", new ProviderError("unavailable", "cut"))],
      "model-c": [scriptText("world")],
    });
    const request = testRequest("prefixless", { fallback: { disableFallback: false, continueOnInterruption: true } });
    const { error } = await collect(engine.stream(request, testContext(clock)));
    expect(error).toMatchObject({ reason: "PROVIDER_STREAM_INTERRUPTED" });
    expect(adapters.get("p")?.callsFor("model-c")).toHaveLength(0);
  });

  it("falls back when the first token does not arrive in time, before anything is sent", async () => {
    const { engine, clock, adapters } = await engineWith({
      "model-a": [scriptText("too late", { firstTokenMs: 20_000 })],
      "model-b": [scriptText("on time")],
    });
    const started = clock.now();
    const { events } = await collect(engine.stream(testRequest("chat"), testContext(clock)));
    expect(events[0]).toMatchObject({ type: "fallback", reason: "PROVIDER_TIMEOUT" });
    expect(text(events)).toBe("on time");
    expect(adapters.get("p")?.callsFor("model-a")[0].abortedAt).toBe(started + 2_000);
  });

  it("ends an interrupted stream when the provider stalls past the idle timeout", async () => {
    const { engine, clock, adapters } = await engineWith({ "model-a": [scriptText("stall here", { chunks: 2, chunkDelayMs: 60_000 })] });
    const { events, error } = await collect(engine.stream(testRequest("a"), testContext(clock)));
    expect(text(events)).toBe("stall");
    expect(error).toMatchObject({ reason: "PROVIDER_STREAM_INTERRUPTED" });
    const call = adapters.get("p")?.callsFor("model-a")[0];
    expect((call?.abortedAt ?? 0) - (call?.startedAt ?? 0)).toBe(1_000);
  });

  it("falls back at once on a 429 with Retry-After, and the next stream skips the cooling deployment", async () => {
    const { engine, clock, adapters } = await engineWith({
      "model-a": [scriptError("rate-limited", { retryAfterMs: 3_000 })],
      "model-b": [scriptText("from b")],
    });
    const started = clock.now();
    const first = await collect(engine.stream(testRequest("chat"), testContext(clock)));
    const second = await collect(engine.stream(testRequest("chat"), testContext(clock)));
    expect(clock.now()).toBe(started);
    expect(first.events[0]).toEqual({ type: "fallback", fromDeployment: "a", toDeployment: "b", reason: "PROVIDER_RATE_LIMITED" });
    expect(second.events.map((e) => e.type)).toEqual(["start", "text-delta", "finish"]);
    expect(second.events.at(-1)).toMatchObject({ route: { attempts: [{ deployment: "b", outcome: "succeeded" }] } });
    expect(adapters.get("p")?.callsFor("model-a")).toHaveLength(1);
  });

  it("treats a stream that ends without a finish as malformed and falls back", async () => {
    const { engine, clock } = await engineWith({ "model-a": [[]], "model-b": [scriptText("b")] });
    const { events } = await collect(engine.stream(testRequest("chat"), testContext(clock)));
    expect(events[0]).toMatchObject({ type: "fallback", reason: "PROVIDER_MALFORMED_RESPONSE" });
  });

  it("aborts the upstream call when the client stops reading", async () => {
    const { engine, clock, adapters } = await engineWith({ "model-a": [scriptText("one two three", { chunks: 3, chunkDelayMs: 100 })] });
    const stream = engine.stream(testRequest("a"), testContext(clock))[Symbol.asyncIterator]();
    await stream.next();
    await stream.next();
    await stream.return?.(undefined);
    const call = adapters.get("p")?.callsFor("model-a")[0];
    expect(call?.abortedAt).toBeDefined();
    const [stats] = await engine.deploymentStats(["a"]);
    expect(stats).toMatchObject({ attempts: 1, failures: 0, inFlight: 0, breakerState: "closed" });
  });

  it("stops at once on a client cancel mid-stream and attempts nothing more", async () => {
    const { engine, clock, adapters } = await engineWith({
      "model-a": [scriptText("one two", { chunks: 2, chunkDelayMs: 500 })],
      "model-b": [scriptText("b")],
    });
    const context = testContext(clock);
    const iterator = engine.stream(testRequest("chat"), context)[Symbol.asyncIterator]();
    await iterator.next();
    await iterator.next();
    context.cancel();
    await expect(iterator.next()).rejects.toMatchObject({ reason: "CANCELED" });
    expect(adapters.get("p")?.callsFor("model-a")[0].abortedAt).toBe(clock.now());
    expect(adapters.get("p")?.callsFor("model-b")).toHaveLength(0);
  });

  it("emits start before a finish that carries no content", async () => {
    const { engine, clock } = await engineWith({ "model-a": [scriptText("")] });
    const { events } = await collect(engine.stream(testRequest("a"), testContext(clock)));
    expect(events.map((e) => e.type)).toEqual(["start", "finish"]);
  });

  it("assembles tool calls and tags adapter warnings with the deployment", async () => {
    const { engine, clock } = await engineWith({
      "model-a": [
        [
          { type: "part", part: { type: "warning", warning: { code: "unsupported-setting", message: "seed ignored" } } },
          { type: "part", part: { type: "tool-call-delta", index: 0, id: "call_1", name: "lookup", argumentsDelta: '{"q":' } },
          { type: "part", part: { type: "tool-call-delta", index: 0, argumentsDelta: '"x"}' } },
          { type: "part", part: { type: "finish", finishReason: "tool-calls", rawFinishReason: "tool_calls", usage: {} } },
        ],
      ],
    });
    const { events } = await collect(engine.stream(testRequest("a"), testContext(clock)));
    expect(events.at(-1)).toMatchObject({
      finishReason: "tool-calls",
      toolCalls: [{ id: "call_1", name: "lookup", argumentsJson: '{"q":"x"}' }],
      warnings: [{ code: "unsupported-setting", message: "seed ignored", deployment: "a" }],
    });
  });
});

describe("executeStream when the gateway's own pool is the bottleneck", () => {
  const pooled = testConfig({
    providers: { p: { kind: "openai-compatible", baseUrl: "http://127.0.0.1:1" }, q: { kind: "openai-compatible", baseUrl: "http://127.0.0.1:2" } },
    deployments: {
      a: { provider: "p", model: "model-a", timeouts: { firstTokenMs: 100, totalMs: 500 } },
      b: { provider: "q", model: "model-b" },
    },
    aliases: { chat: { tiers: [["a"], ["b"]] } },
    routing: { retry: { maxRetriesPerDeployment: 1 }, breaker: { consecutiveFailures: 2 } },
  });

  it("a wait for a connection far past the first-token and total limits fails nothing, and stays out of the vendor's stats", async () => {
    const { engine, clock } = await createTestEngine({
      config: pooled,
      scripts: { p: { "model-a": [scriptWaitForConnection(3_000, scriptText("Hello", { firstTokenMs: 60 }))] }, q: {} },
    });
    for (let call = 0; call < 3; call += 1) {
      const { events, error } = await collect(engine.stream(testRequest("chat"), testContext(clock)));
      expect(error).toBeUndefined();
      expect(text(events)).toBe("Hello");
      // The route record is what the caller waited; the deployment's stats are what the vendor took.
      expect(events.at(-1)).toMatchObject({ route: { deployment: "a", attempts: [{ deployment: "a", outcome: "succeeded", latencyMs: 3_060, timeToFirstTokenMs: 3_060 }] } });
    }
    const [stats] = await engine.deploymentStats(["a"]);
    expect(stats).toMatchObject({ attempts: 3, failures: 0, breakerState: "closed", timeToFirstToken: { p50Ms: 60 }, latency: { p50Ms: 60 } });
  });

  it("a wait for a connection still counts against the caller's deadline", async () => {
    const { engine, clock } = await createTestEngine({
      config: pooled,
      scripts: { p: { "model-a": [scriptWaitForConnection(5_000, scriptText("late"))] }, q: {} },
    });
    const { error } = await collect(engine.stream(testRequest("chat"), testContext(clock, 1_000)));
    expect(error).toMatchObject({ reason: "DEADLINE_EXCEEDED" });
    expect((await engine.deploymentStats(["a"]))[0]).toMatchObject({ failures: 0, breakerState: "closed" });
  });

  it("a call the pool sheds falls over to the next deployment at once, and is no failure of the vendor", async () => {
    const { engine, clock, adapters } = await createTestEngine({
      config: pooled,
      scripts: { p: { "model-a": [[{ type: "busy" }]] }, q: { "model-b": [scriptText("spare", { firstTokenMs: 10 })] } },
    });
    for (let call = 0; call < 4; call += 1) {
      const started = clock.now();
      const { events, error } = await collect(engine.stream(testRequest("chat"), testContext(clock)));
      expect(error).toBeUndefined();
      expect(clock.now() - started).toBe(10);
      expect(events[0]).toEqual({ type: "fallback", fromDeployment: "a", toDeployment: "b", reason: "RATE_LIMITED" });
      expect(events.at(-1)).toMatchObject({
        route: { deployment: "b", attempts: [{ deployment: "a", outcome: "failed", reason: "RATE_LIMITED", retry: 0 }, { deployment: "b", outcome: "succeeded" }] },
      });
    }
    // Tried every time (never retried on the same full pool), never counted: the breaker stays closed.
    expect(adapters.get("p")?.callsFor("model-a")).toHaveLength(4);
    expect((await engine.deploymentStats(["a"]))[0]).toMatchObject({ attempts: 0, failures: 0, recentErrorRate: 0, breakerState: "closed" });
  });

  it("with every deployment shedding, the request ends RATE_LIMITED, the gateway's own limit", async () => {
    const { engine, clock } = await createTestEngine({
      config: pooled,
      scripts: { p: { "model-a": [[{ type: "busy" }]] }, q: { "model-b": [[{ type: "busy" }]] } },
    });
    const { events, error } = await collect(engine.stream(testRequest("chat"), testContext(clock)));
    expect(events.filter((event) => event.type !== "fallback")).toEqual([]);
    const failure = error as GatewayError;
    expect(failure.reason).toBe("RATE_LIMITED");
    expect(failure.metadata).toEqual({ model: "chat", cause: "connections_busy" });
    expect(failure.failure?.route.attempts.map((attempt) => [attempt.deployment, attempt.outcome, attempt.reason])).toEqual([
      ["a", "failed", "RATE_LIMITED"],
      ["b", "failed", "RATE_LIMITED"],
    ]);
    expect((await engine.deploymentStats(["a", "b"])).map((view) => view.breakerState)).toEqual(["closed", "closed"]);
  });
});
