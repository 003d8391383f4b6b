import { getEventListeners } from "node:events";
import { describe, expect, it } from "vitest";
import { GatewayError, type CallContext } from "../gateway/types.js";
import type { ProviderAdapter } from "../providers/spec.js";
import { createSeededRandom } from "../resilience/random.js";
import { createFakeClock, systemClock } from "../resilience/clock.js";
import { Attempt } from "./attempt.js";
import { createGatewayEngine } from "./create-gateway-engine.js";
import { createRouteTable } from "./route-table.js";
import { capturingLogger, collect, testConfig, testContext, testRequest } from "./testing/engine-fixture.js";

/** An adapter that never answers and never looks at its signal. */
const deafAdapter: ProviderAdapter = {
  kind: "openai-compatible",
  complete: () => new Promise(() => undefined),
  stream: () => ({ [Symbol.asyncIterator]: () => ({ next: () => new Promise(() => undefined) }) }),
  close: async () => undefined,
};

async function engineOverDeafAdapter() {
  const config = testConfig({
    providers: { p: { kind: "openai-compatible", baseUrl: "http://127.0.0.1:1" } },
    deployments: { a: { provider: "p", model: "model-a", timeouts: { totalMs: 60, firstTokenMs: 60 } } },
    aliases: { chat: { tiers: [["a"]] } },
    routing: { retry: { maxAttempts: 1 } },
  });
  return createGatewayEngine(config, { logger: capturingLogger().logger, clock: systemClock, random: createSeededRandom(1), adapters: new Map([["p", deafAdapter]]) });
}

describe("an attempt whose adapter ignores its signal", () => {
  it("still ends a unary call at the attempt's time limit", async () => {
    const engine = await engineOverDeafAdapter();
    const started = Date.now();
    const error = (await engine.complete(testRequest("chat"), testContext(systemClock)).catch((caught: unknown) => caught)) as GatewayError;
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(error.failure?.route.attempts[0]?.reason).toBe("PROVIDER_TIMEOUT");
    await engine.close();
  });

  it("still ends a stream at the attempt's first-token limit", async () => {
    const engine = await engineOverDeafAdapter();
    const started = Date.now();
    const { error } = await collect(engine.stream(testRequest("chat"), testContext(systemClock)));
    expect(Date.now() - started).toBeLessThan(1_000);
    expect((error as GatewayError).failure?.route.attempts[0]?.reason).toBe("PROVIDER_TIMEOUT");
    await engine.close();
  });

  it("still ends when the caller cancels", async () => {
    const engine = await engineOverDeafAdapter();
    const context = testContext(systemClock);
    const pending = engine.complete(testRequest("chat"), context).catch((caught: unknown) => caught);
    setTimeout(() => context.cancel(), 10);
    const error = (await pending) as GatewayError;
    expect(error.reason).toBe("CANCELED");
    await engine.close();
  });
});

describe("Attempt", () => {
  const routes = createRouteTable(
    testConfig({
      providers: { p: { kind: "openai-compatible", baseUrl: "http://127.0.0.1:1" } },
      deployments: { a: { provider: "p", model: "model-a", timeouts: { totalMs: 500, firstTokenMs: 100, idleMs: 50 } } },
      aliases: { chat: { tiers: [["a"]] } },
    }),
    capturingLogger().logger,
  );
  const found = routes.deployments.get("a");
  if (found === undefined) throw new Error("deployment a missing");
  const deployment = found;

  function open(deadlineMs: number) {
    const clock = createFakeClock({ start: 1_000 });
    const caller = new AbortController();
    const context: CallContext = { signal: caller.signal, deadlineAt: clock.now() + deadlineMs, receivedAt: clock.now() };
    const admission = { planned: { deployment, tier: 0, estimatedInputTokens: 1 }, retry: 0, permit: { probe: false } };
    return { clock, caller, attempt: new Attempt(admission, deafAdapter, clock, context) };
  }

  it("ends as a provider timeout at its own total limit", async () => {
    const { clock, attempt } = open(60_000);
    await clock.advance(500);
    expect(attempt.abortedFailure()).toMatchObject({ type: "provider", error: { kind: "timeout" } });
  });

  it("ends as the deadline when the caller's deadline comes before its limit", async () => {
    const { clock, attempt } = open(200);
    await clock.advance(200);
    expect(attempt.abortedFailure()).toEqual({ type: "deadline" });
  });

  it("tells the caller's cancel from the caller's deadline by the signal's reason", () => {
    const canceled = open(60_000);
    canceled.caller.abort(new GatewayError("CANCELED", "gone"));
    expect(canceled.attempt.abortedFailure()).toEqual({ type: "canceled" });
    const expired = open(60_000);
    expired.caller.abort(new GatewayError("DEADLINE_EXCEEDED", "late"));
    expect(expired.attempt.abortedFailure()).toEqual({ type: "deadline" });
  });

  it("rejects a pending race at once when the first-token watchdog fires", async () => {
    const { clock, attempt } = open(60_000);
    attempt.watch("first-token");
    const raced = attempt.race(new Promise<never>(() => undefined)).catch((caught: unknown) => caught);
    await clock.advance(100);
    expect(await raced).toMatchObject({ kind: "timeout" });
  });

  it("holds the first-token limit off while the call waits for a connection, and arms it when the call is sent", async () => {
    const { clock, attempt } = open(60_000);
    attempt.watch("first-token");
    attempt.waiting();
    await clock.advance(10_000);
    expect(attempt.signal.aborted).toBe(false);
    attempt.sent();
    await clock.advance(99);
    expect(attempt.signal.aborted).toBe(false);
    await clock.advance(1);
    expect(attempt.abortedFailure()).toMatchObject({ type: "provider", error: { kind: "timeout", message: "No first-token within the attempt's time limit." } });
  });

  it("arms a first-token limit asked for during the wait only once the call is sent", async () => {
    const { clock, attempt } = open(60_000);
    attempt.waiting();
    attempt.watch("first-token");
    await clock.advance(1_000);
    expect(attempt.signal.aborted).toBe(false);
    attempt.sent();
    await clock.advance(100);
    expect(attempt.abortedFailure()).toMatchObject({ type: "provider", error: { kind: "timeout" } });
  });

  it("starts its total limit afresh when a call that waited is sent", async () => {
    const { clock, attempt } = open(60_000);
    await clock.advance(400);
    attempt.waiting();
    await clock.advance(5_000);
    expect(attempt.signal.aborted).toBe(false);
    attempt.sent();
    await clock.advance(499);
    expect(attempt.signal.aborted).toBe(false);
    await clock.advance(1);
    expect(attempt.abortedFailure()).toMatchObject({ type: "provider", error: { kind: "timeout", message: "No total within the attempt's time limit." } });
    expect(attempt.waitedForConnectionMs).toBe(5_000);
  });

  it("lets only the caller's deadline end a call that waits for a connection", async () => {
    const { clock, attempt } = open(2_000);
    attempt.watch("first-token");
    attempt.waiting();
    await clock.advance(2_000);
    expect(attempt.abortedFailure()).toEqual({ type: "deadline" });
  });

  it("ignores a send it was not told to wait for: limits run from the attempt's start", async () => {
    const { clock, attempt } = open(60_000);
    attempt.watch("first-token");
    await clock.advance(60);
    attempt.sent();
    await clock.advance(40);
    expect(attempt.abortedFailure()).toMatchObject({ type: "provider", error: { kind: "timeout" } });
    expect(attempt.waitedForConnectionMs).toBe(0);
  });

  it("is the dispatch observer of the call it makes", () => {
    const seen: unknown[] = [];
    const observing: ProviderAdapter = { ...deafAdapter, complete: (call) => (seen.push(call.dispatch), new Promise(() => undefined)) };
    const clock = createFakeClock({ start: 0 });
    const context: CallContext = { signal: new AbortController().signal, deadlineAt: 60_000, receivedAt: 0 };
    const admission = { planned: { deployment, tier: 0, estimatedInputTokens: 1 }, retry: 0, permit: { probe: false } };
    const attempt = new Attempt(admission, observing, clock, context);
    void attempt.complete({ vendorModel: "m", messages: [], sampling: { stopSequences: [] }, tools: [], timeouts: attempt.timeouts });
    expect(seen).toEqual([attempt]);
    attempt.close(false);
  });

  it("unlinks from the caller's signal and aborts its own when it closes", () => {
    const { caller, attempt } = open(60_000);
    expect(getEventListeners(caller.signal, "abort")).toHaveLength(1);
    attempt.close(false);
    expect(getEventListeners(caller.signal, "abort")).toHaveLength(0);
    expect(attempt.signal.aborted).toBe(true);
  });
});
