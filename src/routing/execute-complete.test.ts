import { describe, expect, it } from "vitest";
import type { GatewayError } from "../gateway/types.js";
import { collect, createTestEngine, testConfig, testContext, testRequest } from "./testing/engine-fixture.js";
import { scriptError, scriptText, scriptWaitForConnection, type FakeScript } from "./testing/fake-adapter.js";

const price = { inputNanoUsd: 1_000, cachedInputNanoUsd: 100, outputNanoUsd: 4_000, asOf: "2025-10-01" };

function baseConfig(overrides: { retry?: Record<string, unknown>; breaker?: Record<string, unknown>; aliases?: Record<string, unknown> } = {}) {
  return testConfig({
    providers: { p: { kind: "openai-compatible", baseUrl: "http://127.0.0.1:1" } },
    deployments: {
      a: { provider: "p", model: "model-a", price, contextWindow: 8_000 },
      b: { provider: "p", model: "model-b", price, contextWindow: 8_000 },
      c: { provider: "p", model: "model-c", contextWindow: 200_000 },
    },
    aliases: {
      chat: { tiers: [["a"], ["b"], ["c"]] },
      filtered: { tiers: [["a"], ["b"]], fallbackOnContentFilter: true },
      pair: { tiers: [["a"], ["b"]] },
      ...overrides.aliases,
    },
    routing: {
      retry: { maxAttempts: 4, maxRetriesPerDeployment: 1, baseDelayMs: 100, maxDelayMs: 2_000, ...overrides.retry },
      breaker: { consecutiveFailures: 5, minimumRequests: 10, ...overrides.breaker },
    },
  });
}

async function engineWith(scripts: Record<string, FakeScript[]>, config = baseConfig()) {
  return createTestEngine({ config, scripts: { p: scripts } });
}

async function failure(promise: Promise<unknown>): Promise<GatewayError> {
  try {
    await promise;
  } catch (error) {
    return error as GatewayError;
  }
  throw new Error("expected a failure");
}

describe("executeComplete", () => {
  it("falls back to the next tier and records every attempt", async () => {
    const { engine, clock } = await engineWith(
      { "model-a": [scriptError("unavailable", { afterMs: 50 })], "model-b": [scriptText("hi", { firstTokenMs: 20 })] },
      baseConfig({ retry: { maxRetriesPerDeployment: 0 } }),
    );
    const result = await engine.complete(testRequest("chat"), testContext(clock));
    expect(result.text).toBe("hi");
    expect(result.route).toMatchObject({ requestedModel: "chat", strategy: "priority", deployment: "b", vendorModel: "model-b" });
    expect(result.route.attempts.map((a) => [a.deployment, a.outcome, a.reason, a.latencyMs, a.retry])).toEqual([
      ["a", "failed", "PROVIDER_UNAVAILABLE", 50, 0],
      ["b", "succeeded", undefined, 20, 0],
    ]);
    expect(result.timings.totalMs).toBe(70);
  });

  it("retries the same deployment no sooner than Retry-After when nothing else can serve", async () => {
    const { engine, clock, adapters } = await engineWith({
      "model-a": [scriptError("rate-limited", { retryAfterMs: 2_000 }), scriptText("ok")],
    });
    const result = await engine.complete(testRequest("a"), testContext(clock));
    const calls = adapters.get("p")?.callsFor("model-a") ?? [];
    expect(calls).toHaveLength(2);
    expect(calls[1].startedAt - calls[0].startedAt).toBeGreaterThanOrEqual(2_000);
    expect(calls[1].startedAt - calls[0].startedAt).toBeLessThan(2_100);
    expect(result.route.attempts.map((a) => a.retry)).toEqual([0, 1]);
  });

  it("spreads retry waits with full jitter under the back-off ceiling", async () => {
    const gaps: number[] = [];
    for (let seed = 1; seed <= 20; seed += 1) {
      const { engine, clock, adapters } = await createTestEngine({
        config: baseConfig(),
        scripts: { p: { "model-a": [scriptError("unavailable"), scriptText("ok")] } },
        seed,
      });
      await engine.complete(testRequest("chat"), testContext(clock));
      const calls = adapters.get("p")?.callsFor("model-a") ?? [];
      gaps.push(calls[1].startedAt - calls[0].startedAt);
    }
    expect(Math.min(...gaps)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...gaps)).toBeLessThan(100);
    expect(new Set(gaps).size).toBeGreaterThan(10);
  });

  it("moves on instead of sleeping when Retry-After outlasts the deadline", async () => {
    const { engine, clock, adapters } = await engineWith({
      "model-a": [scriptError("rate-limited", { retryAfterMs: 10_000 })],
      "model-b": [scriptText("from b")],
    });
    const started = clock.now();
    const result = await engine.complete(testRequest("chat"), testContext(clock, 5_000));
    expect(result.text).toBe("from b");
    expect(adapters.get("p")?.callsFor("model-a")).toHaveLength(1);
    expect(adapters.get("p")?.callsFor("model-b")[0].startedAt).toBe(started);
  });

  it("fails fast with the vendor's retry time when no deployment is left", async () => {
    const { engine, clock } = await engineWith({ "model-a": [scriptError("rate-limited", { retryAfterMs: 10_000 })] });
    const error = await failure(engine.complete(testRequest("a"), testContext(clock, 5_000)));
    expect(error).toMatchObject({ reason: "PROVIDER_RATE_LIMITED", retryAfterMs: 10_000 });
    expect(error.failure?.route.attempts).toHaveLength(1);
  });

  it("keeps retries within 20 % of requests during an outage", async () => {
    const { engine, clock, adapters } = await engineWith(
      { "model-a": [scriptError("unavailable", { afterMs: 5 })] },
      baseConfig({ retry: { maxRetriesPerDeployment: 3, budgetMinRetries: 3 }, breaker: { consecutiveFailures: 100_000, minimumRequests: 100_000 } }),
    );
    for (let index = 0; index < 100; index += 1) {
      await failure(engine.complete(testRequest("a", { requestId: `r${index}` }), testContext(clock)));
    }
    const retries = (adapters.get("p")?.callsFor("model-a").length ?? 0) - 100;
    expect(retries).toBeGreaterThan(0);
    expect(retries / 100).toBeLessThanOrEqual(0.2);
  });

  it("never overshoots the caller's deadline and aborts the upstream call at it", async () => {
    const { engine, clock, adapters } = await engineWith({ "model-a": [[{ type: "hang" }]] });
    const context = testContext(clock, 1_500);
    const error = await failure(engine.complete(testRequest("a"), context));
    expect(error.reason).toBe("DEADLINE_EXCEEDED");
    expect(clock.now() - context.deadlineAt).toBeLessThan(50);
    expect(adapters.get("p")?.callsFor("model-a")[0].abortedAt).toBe(context.deadlineAt);
  });

  it("starts no attempt after the deadline even with deployments left", async () => {
    const { engine, clock, adapters } = await engineWith({
      "model-a": [scriptError("unavailable", { afterMs: 900 })],
      "model-b": [scriptError("unavailable", { afterMs: 900 })],
      "model-c": [scriptText("late")],
    }, baseConfig({ retry: { maxRetriesPerDeployment: 0 } }));
    const context = testContext(clock, 1_000);
    const error = await failure(engine.complete(testRequest("chat"), context));
    expect(error.reason).toBe("DEADLINE_EXCEEDED");
    expect(clock.now()).toBe(context.deadlineAt);
    expect(adapters.get("p")?.callsFor("model-c")).toHaveLength(0);
  });

  it("stops at once on a client cancel and makes no further attempt", async () => {
    const { engine, clock, adapters } = await engineWith({
      "model-a": [[{ type: "delay", ms: 1_000 }, ...scriptText("never")]],
      "model-b": [scriptText("never either")],
    });
    const context = testContext(clock);
    void clock.sleep(300).then(() => context.cancel());
    const error = await failure(engine.complete(testRequest("chat"), context));
    expect(error.reason).toBe("CANCELED");
    expect(adapters.get("p")?.callsFor("model-a")[0].abortedAt).toBe(clock.now());
    expect(adapters.get("p")?.callsFor("model-b")).toHaveLength(0);
    expect(error.failure?.route.attempts[0]).toMatchObject({ outcome: "canceled", reason: "CANCELED" });
  });

  it("stops on a content filter unless the alias allows falling back", async () => {
    const scripts = { "model-a": [scriptError("content-filtered")], "model-b": [scriptText("fine")] };
    const strict = await engineWith(scripts);
    expect((await failure(strict.engine.complete(testRequest("chat"), testContext(strict.clock)))).reason).toBe("CONTENT_FILTERED");
    expect(strict.adapters.get("p")?.callsFor("model-b")).toHaveLength(0);
    const lenient = await engineWith(scripts);
    expect((await lenient.engine.complete(testRequest("filtered"), testContext(lenient.clock))).text).toBe("fine");
  });

  it("lets the request allow content-filter fallback", async () => {
    const { engine, clock } = await engineWith({ "model-a": [scriptError("content-filtered")], "model-b": [scriptText("fine")] });
    const request = testRequest("chat", { fallback: { disableFallback: false, continueOnInterruption: false, fallbackOnContentFilter: true } });
    expect((await engine.complete(request, testContext(clock))).text).toBe("fine");
  });

  it("after a context-length error tries only deployments with a larger window", async () => {
    const { engine, clock, adapters } = await engineWith({
      "model-a": [scriptError("context-length-exceeded")],
      "model-b": [scriptText("same window")],
      "model-c": [scriptText("bigger window")],
    });
    const result = await engine.complete(testRequest("chat"), testContext(clock));
    expect(result.text).toBe("bigger window");
    expect(adapters.get("p")?.callsFor("model-b")).toHaveLength(0);
  });

  it("stops at once on an invalid request without touching the breaker", async () => {
    const { engine, clock, adapters } = await engineWith({ "model-a": [scriptError("invalid-request", { status: 400 })], "model-b": [scriptText("x")] });
    for (let index = 0; index < 10; index += 1) {
      expect((await failure(engine.complete(testRequest("chat"), testContext(clock)))).reason).toBe("PROVIDER_INVALID_REQUEST");
    }
    expect(adapters.get("p")?.callsFor("model-a")).toHaveLength(10);
    expect(adapters.get("p")?.callsFor("model-b")).toHaveLength(0);
    expect((await engine.deploymentStats(["a"]))[0].breakerState).toBe("closed");
  });

  it("moves to the next deployment on an auth failure, our credential problem", async () => {
    const { engine, clock } = await engineWith({ "model-a": [scriptError("auth-failed", { status: 401 })], "model-b": [scriptText("b")] });
    const result = await engine.complete(testRequest("chat"), testContext(clock));
    expect(result.route.attempts.map((a) => [a.deployment, a.reason])).toEqual([
      ["a", "PROVIDER_AUTH_FAILED"],
      ["b", undefined],
    ]);
  });

  it("does not count client cancellations against the breaker", async () => {
    const { engine, clock } = await engineWith({ "model-a": [[{ type: "hang" }]] }, baseConfig({ breaker: { consecutiveFailures: 1 } }));
    for (let index = 0; index < 3; index += 1) {
      const context = testContext(clock);
      void clock.sleep(10).then(() => context.cancel());
      await failure(engine.complete(testRequest("a"), context));
    }
    expect((await engine.deploymentStats(["a"]))[0].breakerState).toBe("closed");
  });

  it("opens the breaker after consecutive faults and then fails fast with a retry time", async () => {
    const { engine, clock, adapters } = await engineWith(
      { "model-a": [scriptError("unavailable")] },
      baseConfig({ retry: { maxRetriesPerDeployment: 0 }, breaker: { consecutiveFailures: 3, openMs: 5_000 } }),
    );
    for (let index = 0; index < 3; index += 1) await failure(engine.complete(testRequest("a"), testContext(clock)));
    const error = await failure(engine.complete(testRequest("a"), testContext(clock)));
    expect(error).toMatchObject({ reason: "NO_ELIGIBLE_DEPLOYMENT", retryAfterMs: 5_000 });
    expect(adapters.get("p")?.callsFor("model-a")).toHaveLength(3);
    const [stats] = await engine.deploymentStats(["a"]);
    expect(stats).toMatchObject({ breakerState: "open", breakerRetryAtUnixMs: clock.now() + 5_000, attempts: 3, failures: 3 });
  });

  it("prices the answer and every billed failed attempt", async () => {
    const { engine, clock } = await engineWith(
      {
        "model-a": [scriptError("unavailable", { usage: { inputTokens: 100, outputTokens: 10 } })],
        "model-b": [scriptText("ok", { usage: { inputTokens: 1_000, cachedInputTokens: 500, outputTokens: 100 } })],
      },
      baseConfig({ retry: { maxRetriesPerDeployment: 0 } }),
    );
    const result = await engine.complete(testRequest("chat"), testContext(clock));
    // a: 100×1000 + 10×4000 = 140 000 nano; b: 500×1000 + 500×100 + 100×4000 = 950 000 nano.
    expect(result.route.attempts.map((a) => a.costMicroUsd)).toEqual([140, 950]);
    expect(result.costMicroUsd).toBe(1_090);
    expect(result.usage).toEqual({ inputTokens: 1_000, cachedInputTokens: 500, outputTokens: 100 });
  });

  it("leaves cost absent for an unpriced model and counts the gap", async () => {
    const { engine, clock } = await engineWith({ "model-c": [scriptText("ok")] });
    const result = await engine.complete(testRequest("c"), testContext(clock));
    expect(result.costMicroUsd).toBeUndefined();
    expect(result.route.attempts[0].costMicroUsd).toBeUndefined();
    expect((await engine.deploymentStats(["c"]))[0]).toMatchObject({ unpricedAttempts: 1, costMicroUsd: 0, inputTokens: 10 });
  });

  it("leaves cost absent when the vendor reported no usage", async () => {
    const { engine, clock } = await engineWith({ "model-a": [scriptText("ok", { usage: {} })] });
    const result = await engine.complete(testRequest("a"), testContext(clock));
    expect(result.costMicroUsd).toBeUndefined();
    expect((await engine.deploymentStats(["a"]))[0].unpricedAttempts).toBe(1);
  });

  it("records latency stats the latency strategy then routes on", async () => {
    const config = baseConfig({ aliases: { fast: { strategy: "latency", tiers: [["a", "b"]] } } });
    const { engine, clock } = await engineWith(
      { "model-a": [scriptText("a", { firstTokenMs: 400 })], "model-b": [scriptText("b", { firstTokenMs: 100 })] },
      config,
    );
    const first = await engine.complete(testRequest("fast"), testContext(clock));
    const second = await engine.complete(testRequest("fast"), testContext(clock));
    const third = await engine.complete(testRequest("fast"), testContext(clock));
    expect([first.route.deployment, second.route.deployment, third.route.deployment]).toEqual(["a", "b", "b"]);
    const [a] = await engine.deploymentStats(["a"]);
    expect(a.latency).toMatchObject({ p50Ms: 400, ewmaMs: 400, samples: 1 });
  });

  it("does not stream through complete", async () => {
    const { engine, clock } = await engineWith({ "model-a": [scriptText("ok")] });
    const { events } = await collect(engine.stream(testRequest("a"), testContext(clock)));
    expect(events.map((e) => e.type)).toEqual(["start", "text-delta", "finish"]);
  });
});

describe("rate limits with a fallback available", () => {
  const attemptsOf = (result: { route: { attempts: { deployment: string; outcome: string; retry: number }[] } }) =>
    result.route.attempts.map((a) => [a.deployment, a.outcome, a.retry]);

  it("falls over at once on a 429 with Retry-After instead of sleeping through it", async () => {
    const { engine, clock, adapters } = await engineWith({
      "model-a": [scriptError("rate-limited", { retryAfterMs: 3_000 })],
      "model-b": [scriptText("from b")],
    });
    const started = clock.now();
    const result = await engine.complete(testRequest("pair"), testContext(clock));
    expect(result.text).toBe("from b");
    expect(clock.now()).toBe(started);
    expect(adapters.get("p")?.callsFor("model-b")[0].startedAt).toBe(started);
    expect(result.route.attempts.map((a) => [a.deployment, a.outcome, a.reason])).toEqual([
      ["a", "failed", "PROVIDER_RATE_LIMITED"],
      ["b", "succeeded", undefined],
    ]);
  });

  it("keeps the limited deployment cooling down for later requests until its Retry-After, without a breaker failure", async () => {
    const { engine, clock, adapters } = await engineWith(
      {
        "model-a": [scriptError("rate-limited", { retryAfterMs: 3_000 }), scriptText("from a")],
        "model-b": [scriptText("from b")],
      },
      baseConfig({ breaker: { consecutiveFailures: 2 } }),
    );
    const started = clock.now();
    await engine.complete(testRequest("pair"), testContext(clock));
    const skipping: string[][] = [];
    for (const at of [1, 1_000, 2_999]) {
      await clock.sleep(started + at - clock.now());
      const result = await engine.complete(testRequest("pair"), testContext(clock));
      skipping.push(result.route.attempts.map((a) => a.deployment));
    }
    expect(skipping).toEqual([["b"], ["b"], ["b"]]);
    expect(adapters.get("p")?.callsFor("model-a")).toHaveLength(1);
    expect((await engine.deploymentStats(["a"]))[0]).toMatchObject({ attempts: 1, failures: 1, breakerState: "closed" });

    await clock.sleep(started + 3_000 - clock.now());
    const after = await engine.complete(testRequest("pair"), testContext(clock));
    expect(attemptsOf(after)).toEqual([["a", "succeeded", 0]]);
    expect(after.text).toBe("from a");
  });

  it("falls over at once on a 503 with Retry-After too", async () => {
    const { engine, clock } = await engineWith({
      "model-a": [scriptError("unavailable", { retryAfterMs: 2_000, status: 503 })],
      "model-b": [scriptText("from b")],
    });
    const started = clock.now();
    const first = await engine.complete(testRequest("pair"), testContext(clock));
    const second = await engine.complete(testRequest("pair"), testContext(clock));
    expect(clock.now()).toBe(started);
    expect(attemptsOf(first)).toEqual([["a", "failed", 0], ["b", "succeeded", 0]]);
    expect(attemptsOf(second)).toEqual([["b", "succeeded", 0]]);
  });

  it("waits for the limited deployment when the fallback fails too, and then retries it", async () => {
    const { engine, clock, adapters } = await engineWith({
      "model-a": [scriptError("rate-limited", { retryAfterMs: 3_000 }), scriptText("from a")],
      "model-b": [scriptError("rate-limited", { retryAfterMs: 5_000 })],
    });
    const started = clock.now();
    const result = await engine.complete(testRequest("pair"), testContext(clock));
    expect(result.text).toBe("from a");
    expect(attemptsOf(result)).toEqual([["a", "failed", 0], ["b", "failed", 0], ["a", "succeeded", 1]]);
    expect(adapters.get("p")?.callsFor("model-a")[1].startedAt).toBe(started + 3_000);
  });

  it("waits for the earliest cooldown to end when every candidate is cooling down", async () => {
    const { engine, clock, adapters } = await engineWith({
      "model-a": [scriptError("rate-limited", { retryAfterMs: 4_000 }), scriptText("from a")],
      "model-b": [scriptError("rate-limited", { retryAfterMs: 2_000 }), scriptText("from b")],
    });
    const started = clock.now();
    // A short deadline: the first request cannot wait, so both stay cooling down.
    await failure(engine.complete(testRequest("pair"), testContext(clock, 1_000)));
    expect(clock.now()).toBe(started);
    const result = await engine.complete(testRequest("pair"), testContext(clock));
    expect(result.text).toBe("from b");
    expect(attemptsOf(result)).toEqual([["b", "succeeded", 0]]);
    expect(adapters.get("p")?.callsFor("model-b")[1].startedAt).toBe(started + 2_000);
  });

  it("fails at once with the earliest cooldown's end when no cooldown ends within the deadline", async () => {
    const { engine, clock, adapters } = await engineWith({
      "model-a": [scriptError("rate-limited", { retryAfterMs: 4_000 })],
      "model-b": [scriptError("rate-limited", { retryAfterMs: 2_000 })],
    });
    const started = clock.now();
    const first = await failure(engine.complete(testRequest("pair"), testContext(clock, 1_000)));
    expect(first).toMatchObject({ reason: "PROVIDER_RATE_LIMITED", retryAfterMs: 2_000 });
    await clock.sleep(500);
    const error = await failure(engine.complete(testRequest("pair"), testContext(clock, 1_000)));
    expect(clock.now()).toBe(started + 500);
    expect(error).toMatchObject({
      reason: "PROVIDER_RATE_LIMITED",
      retryAfterMs: 1_500,
      metadata: { model: "pair", cause: "cooldown", deployments: "a,b" },
    });
    expect(error.failure?.route.attempts).toEqual([]);
    expect(adapters.get("p")?.calls).toHaveLength(2);
  });
});

describe("only open breakers in the way", () => {
  const breakers = { retry: { maxRetriesPerDeployment: 0 }, breaker: { consecutiveFailures: 1, openMs: 5_000 } };

  it("marks NO_ELIGIBLE_DEPLOYMENT only_breakers, with the earliest retry, when every breaker is open", async () => {
    const { engine, clock } = await engineWith({ "model-a": [scriptError("unavailable")], "model-b": [scriptError("unavailable")] }, baseConfig(breakers));
    await failure(engine.complete(testRequest("pair"), testContext(clock)));
    await clock.sleep(1_000);
    const error = await failure(engine.complete(testRequest("pair"), testContext(clock)));
    expect(error).toMatchObject({
      reason: "NO_ELIGIBLE_DEPLOYMENT",
      retryAfterMs: 4_000,
      metadata: { model: "pair", cause: "circuit-open", only_breakers: "true", deployments: "a,b" },
    });
  });

  it("marks it only_breakers when the breaker turns the request away at admission (its one probe is out)", async () => {
    const { engine, clock } = await engineWith(
      { "model-a": [scriptError("unavailable"), [{ type: "delay", ms: 1_000 }, ...scriptText("probe")]] },
      baseConfig(breakers),
    );
    await failure(engine.complete(testRequest("a"), testContext(clock)));
    await clock.sleep(5_000);
    const probe = engine.complete(testRequest("a"), testContext(clock));
    const error = await failure(engine.complete(testRequest("a"), testContext(clock)));
    expect(error).toMatchObject({ reason: "NO_ELIGIBLE_DEPLOYMENT", metadata: { only_breakers: "true", deployments: "a" } });
    expect(error.failure?.route.attempts).toEqual([]);
    expect((await probe).text).toBe("probe");
  });

  it("marks it only_breakers when open breakers and cooldowns together stand in the way, waiting for neither past the deadline", async () => {
    const { engine, clock, adapters } = await engineWith(
      { "model-a": [scriptError("unavailable")], "model-b": [scriptError("rate-limited", { retryAfterMs: 30_000 })] },
      baseConfig({ retry: { maxRetriesPerDeployment: 0 }, breaker: { consecutiveFailures: 2, openMs: 5_000 } }),
    );
    for (let index = 0; index < 2; index += 1) await failure(engine.complete(testRequest("a"), testContext(clock)));
    await failure(engine.complete(testRequest("b"), testContext(clock, 1_000)));
    const started = clock.now();
    const error = await failure(engine.complete(testRequest("pair"), testContext(clock, 10_000)));
    expect(clock.now()).toBe(started);
    expect(error).toMatchObject({
      reason: "NO_ELIGIBLE_DEPLOYMENT",
      retryAfterMs: 5_000,
      metadata: { model: "pair", cause: "circuit-open,cooldown", only_breakers: "true", deployments: "a,b" },
    });
    expect(adapters.get("p")?.calls).toHaveLength(3);
    expect((await engine.deploymentStats(["b"]))[0]).toMatchObject({ attempts: 1, breakerState: "closed" });
  });
});

describe("createGatewayEngine", () => {
  it("disables deployments of a provider without a key, with one warning", async () => {
    const config = testConfig({
      providers: { p: { kind: "openai-compatible", baseUrl: "http://127.0.0.1:1" }, o: { kind: "openai", apiKey: "" } },
      deployments: { a: { provider: "p", model: "model-a" }, x: { provider: "o", model: "gpt-4.1" }, y: { provider: "o", model: "gpt-4o" } },
      aliases: { chat: { tiers: [["x", "y", "a"]] } },
    });
    const { engine, clock, lines } = await createTestEngine({ config, scripts: { p: { "model-a": [scriptText("a")] }, o: {} } });
    const warnings = lines.filter((l) => l.level === 40);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatchObject({ provider: "o", deployments: ["x", "y"] });
    expect((await engine.complete(testRequest("chat"), testContext(clock))).route.deployment).toBe("a");
    expect(engine.listModels().deployments.find((d) => d.name === "x")?.price?.inputNanoUsd).toBe(2_000);
  });
});

describe("breaker recovery through the engine", () => {
  it("sends one probe after the open period and returns to the primary when it succeeds", async () => {
    let primaryHealthy = false;
    const { engine, clock, adapters } = await createTestEngine({
      config: baseConfig({ retry: { maxRetriesPerDeployment: 0 }, breaker: { consecutiveFailures: 2, openMs: 10_000 } }),
      scripts: {
        p: {
          "model-a": () => (primaryHealthy ? scriptText("primary") : scriptError("unavailable")),
          "model-b": [scriptText("fallback")],
        },
      },
    });
    const served: string[] = [];
    for (let index = 0; index < 6; index += 1) {
      if (index === 4) {
        primaryHealthy = true;
        await clock.sleep(10_000);
      }
      served.push((await engine.complete(testRequest("chat"), testContext(clock))).route.deployment ?? "");
    }
    expect(served).toEqual(["b", "b", "b", "b", "a", "a"]);
    expect(adapters.get("p")?.callsFor("model-a")).toHaveLength(4);
  });
});

describe("a unary call and the gateway's own pool", () => {
  it("completes after waiting for a connection longer than its total limit, with the breaker untouched", async () => {
    const config = testConfig({
      providers: { p: { kind: "openai-compatible", baseUrl: "http://127.0.0.1:1" } },
      deployments: { a: { provider: "p", model: "model-a", timeouts: { firstTokenMs: 100, totalMs: 200 } } },
      aliases: { chat: { tiers: [["a"]] } },
    });
    const { engine, clock } = await createTestEngine({ config, scripts: { p: { "model-a": [scriptWaitForConnection(1_000, scriptText("ok", { firstTokenMs: 150 }))] } } });
    const result = await engine.complete(testRequest("chat"), testContext(clock));
    expect(result.text).toBe("ok");
    expect(result.route.attempts.map((attempt) => [attempt.outcome, attempt.latencyMs])).toEqual([["succeeded", 1_150]]);
    expect((await engine.deploymentStats(["a"]))[0]).toMatchObject({ failures: 0, breakerState: "closed", latency: { p50Ms: 150 } });
  });

  it("still times out at its total limit counted from the send", async () => {
    const config = testConfig({
      providers: { p: { kind: "openai-compatible", baseUrl: "http://127.0.0.1:1" } },
      deployments: { a: { provider: "p", model: "model-a", timeouts: { totalMs: 200 } } },
      aliases: { chat: { tiers: [["a"]] } },
      routing: { retry: { maxAttempts: 1 } },
    });
    const { engine, clock } = await createTestEngine({ config, scripts: { p: { "model-a": [scriptWaitForConnection(1_000, [{ type: "hang" }])] } } });
    const started = clock.now();
    const error = await failure(engine.complete(testRequest("chat"), testContext(clock)));
    expect(error.reason).toBe("PROVIDER_TIMEOUT");
    expect(clock.now() - started).toBe(1_200);
  });
});
