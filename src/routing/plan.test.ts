import { pino } from "pino";
import { beforeAll, describe, expect, it } from "vitest";
import { GatewayError, type GatewayRequest } from "../gateway/types.js";
import { createSeededRandom } from "../resilience/random.js";
import { countRequestTokensExact, preloadTokenizer } from "./estimate-input-tokens.js";
import { UNKNOWN_HEALTH, type DeploymentHealth, type HealthSnapshot } from "./health-snapshot.js";
import { plan, type PlanInput } from "./plan.js";
import { createRouteTable } from "./route-table.js";
import { testConfig, testRequest } from "./testing/engine-fixture.js";

const silent = pino({ level: "silent" });
const price = (input: number, output: number) => ({ inputNanoUsd: input, outputNanoUsd: output, asOf: "2025-10-01" });

const config = testConfig({
  providers: {
    p: { kind: "openai-compatible", baseUrl: "http://127.0.0.1:1", allowAnyModel: true },
    claude: { kind: "anthropic", apiKey: "k", allowAnyModel: true },
    keyless: { kind: "openai", apiKey: "" },
    closed: { kind: "openai", apiKey: "k" },
  },
  deployments: {
    cheap: { provider: "p", model: "m-cheap", price: price(100, 400), weight: 1 },
    mid: { provider: "p", model: "m-mid", price: price(1_000, 4_000), weight: 10 },
    dear: { provider: "p", model: "m-dear", price: price(10_000, 40_000), weight: 89 },
    unpriced: { provider: "p", model: "m-local" },
    tiny: { provider: "p", model: "gpt-tiny", contextWindow: 1_000, price: price(1, 1) },
    "tiny-claude": { provider: "claude", model: "claude-haiku-4-5", contextWindow: 1_000 },
    "no-tools": { provider: "p", model: "m-no-tools", capabilities: { tools: false }, price: price(1, 1) },
    vision: { provider: "p", model: "m-vision", capabilities: { images: true, jsonSchema: true }, price: price(2, 2) },
    disabled: { provider: "keyless", model: "gpt-4.1" },
    backup: { provider: "p", model: "m-backup" },
  },
  aliases: {
    chat: { tiers: [["dear", "mid", "cheap"], ["unpriced"]] },
    canary: { strategy: "weighted", tiers: [["cheap", "mid", "dear"]] },
    fast: { strategy: "latency", tiers: [["cheap", "mid", "dear"]] },
    busy: { strategy: "least-busy", tiers: [["cheap", "mid", "dear"]] },
    slo: { strategy: "cost-under-latency-slo", latencySloMs: 500, tiers: [["cheap", "mid", "dear"]] },
    small: { tiers: [["tiny", "tiny-claude"]] },
    tools: { tiers: [["no-tools", "vision"]] },
    keyless: { tiers: [["disabled"]] },
  },
  routing: { defaultChain: ["backup", "cheap"] },
});
const routes = createRouteTable(config, silent);

function health(entries: Record<string, Partial<DeploymentHealth>> = {}, now = 0): HealthSnapshot {
  return {
    now,
    deployments: new Map(Object.entries(entries).map(([name, h]) => [name, { ...UNKNOWN_HEALTH, ...h }])),
  };
}

function latency(ewmaMs: number, p95Ms = ewmaMs): DeploymentHealth["latency"] {
  return { ewmaMs, p50Ms: ewmaMs, p95Ms, p99Ms: p95Ms, samples: 50 };
}

beforeAll(async () => {
  await preloadTokenizer();
});

function run(request: GatewayRequest, overrides: Partial<PlanInput> = {}) {
  return plan({
    request,
    mode: "complete",
    routes,
    health: health(),
    random: createSeededRandom(1),
    inputTokens: countRequestTokensExact(request),
    ...overrides,
  });
}

const names = (result: ReturnType<typeof run>) => result.attempts.map((a) => a.deployment.name);

describe("plan", () => {
  it("keeps tiers as written under the priority strategy, then the default chain", () => {
    expect(names(run(testRequest("chat")))).toEqual(["dear", "mid", "cheap", "unpriced", "backup"]);
  });

  it("routes a deployment name to that deployment, then the default chain", () => {
    expect(names(run(testRequest("mid")))).toEqual(["mid", "backup", "cheap"]);
  });

  it("builds an ad-hoc deployment for provider/model, priced from the table when known", () => {
    const result = run(testRequest("claude/claude-sonnet-4-5"), { inputTokens: 10 });
    expect(result.attempts[0].deployment).toMatchObject({
      name: "claude/claude-sonnet-4-5",
      vendorModel: "claude-sonnet-4-5",
      contextWindow: 128_000,
      adHoc: true,
    });
    expect(result.attempts[0].deployment.price?.inputNanoUsd).toBe(3_000);
    expect(run(testRequest("p/whatever")).attempts[0].deployment.price).toBeUndefined();
  });

  it("refuses provider/model with UNKNOWN_MODEL when the provider does not allow any model", () => {
    expect(() => run(testRequest("closed/gpt-4o"))).toThrow(
      expect.objectContaining({ reason: "UNKNOWN_MODEL", message: expect.stringContaining("providers.closed.allowAnyModel: true") }),
    );
  });

  it("rejects an unknown model with UNKNOWN_MODEL", () => {
    expect(() => run(testRequest("nope"))).toThrow(expect.objectContaining({ reason: "UNKNOWN_MODEL" }));
    expect(() => run(testRequest("nobody/gpt-4o"))).toThrow(GatewayError);
  });

  it("orders by estimated cost under the cost strategy, unpriced last", () => {
    const result = run(testRequest("chat", { routing: { strategy: "cost", tags: [], metadata: {} } }));
    expect(names(result)).toEqual(["cheap", "mid", "dear", "unpriced", "backup"]);
    const cheap = result.attempts[0];
    expect(cheap.estimatedCostNanoUsd).toBe(cheap.estimatedInputTokens * 100 + 1_024 * 400);
  });

  it("uses the requested output cap in the cost estimate", () => {
    const request = testRequest("mid", { sampling: { stopSequences: [], maxOutputTokens: 10 } });
    const attempt = run(request).attempts[0];
    expect(attempt.estimatedCostNanoUsd).toBe(attempt.estimatedInputTokens * 1_000 + 10 * 4_000);
  });

  it("splits weighted traffic by weight with a seeded random source", () => {
    const random = createSeededRandom(2024);
    const firsts: Record<string, number> = { cheap: 0, mid: 0, dear: 0 };
    for (let index = 0; index < 10_000; index += 1) firsts[names(run(testRequest("canary"), { random }))[0]] += 1;
    expect(firsts.cheap / 10_000).toBeCloseTo(0.01, 2);
    expect(firsts.mid / 10_000).toBeCloseTo(0.1, 1);
    expect(firsts.dear / 10_000).toBeCloseTo(0.89, 1);
  });

  it("puts the lowest latency EWMA first and unsampled deployments before everyone", () => {
    const snapshot = health({ cheap: { latency: latency(900) }, dear: { latency: latency(100) } });
    expect(names(run(testRequest("fast"), { health: snapshot, random: () => 0.5 }))).toEqual([
      "mid",
      "dear",
      "cheap",
      "backup",
    ]);
  });

  it("routes streams on time to first token", () => {
    const snapshot = health({
      cheap: { latency: latency(100), timeToFirstToken: latency(900) },
      mid: { latency: latency(900), timeToFirstToken: latency(100) },
      dear: { latency: latency(500), timeToFirstToken: latency(500) },
    });
    const result = run(testRequest("fast"), { health: snapshot, mode: "stream", random: () => 0.5 });
    expect(names(result).slice(0, 3)).toEqual(["mid", "dear", "cheap"]);
  });

  it("explores a random sampled deployment on about 5 % of requests", () => {
    const snapshot = health({ cheap: { latency: latency(100) }, mid: { latency: latency(200) }, dear: { latency: latency(300) } });
    const random = createSeededRandom(9);
    let explored = 0;
    for (let index = 0; index < 10_000; index += 1) {
      if (names(run(testRequest("fast"), { health: snapshot, random }))[0] !== "cheap") explored += 1;
    }
    // 5 % exploration, a third of which lands on the fastest anyway.
    expect(explored / 10_000).toBeGreaterThan(0.02);
    expect(explored / 10_000).toBeLessThan(0.05);
  });

  it("sends least-busy traffic to the deployment with the fewest in flight", () => {
    const snapshot = health({ cheap: { inFlight: 5 }, mid: { inFlight: 0 }, dear: { inFlight: 2 } });
    expect(names(run(testRequest("busy"), { health: snapshot }))).toEqual(["mid", "dear", "cheap", "backup"]);
  });

  it("picks the cheapest deployment whose p95 meets the SLO", () => {
    const snapshot = health({
      cheap: { latency: latency(300, 900) },
      mid: { latency: latency(200, 400) },
      dear: { latency: latency(100, 200) },
    });
    expect(names(run(testRequest("slo"), { health: snapshot }))).toEqual(["mid", "dear", "cheap", "backup"]);
  });

  it("falls back to the lowest p95 first when no deployment meets the SLO", () => {
    const snapshot = health({
      cheap: { latency: latency(300, 900) },
      mid: { latency: latency(200, 700) },
      dear: { latency: latency(100, 600) },
    });
    expect(names(run(testRequest("slo"), { health: snapshot }))).toEqual(["dear", "mid", "cheap", "backup"]);
  });

  it("lets the request override strategy and SLO", () => {
    const snapshot = health({
      cheap: { latency: latency(300, 900) },
      mid: { latency: latency(200, 400) },
      dear: { latency: latency(100, 200) },
    });
    const request = testRequest("slo", { routing: { latencySloMs: 300, tags: [], metadata: {} } });
    expect(names(run(request, { health: snapshot }))[0]).toBe("dear");
    const priority = testRequest("slo", { routing: { strategy: "priority", tags: [], metadata: {} } });
    expect(names(run(priority, { health: snapshot }))[0]).toBe("cheap");
  });

  it("filters deployments whose window cannot hold a long prompt", () => {
    const long = "The quick brown fox jumps over the lazy dog. ".repeat(120); // ~1 200 tokens
    const request = testRequest("chat", { messages: [{ role: "user", parts: [{ type: "text", text: long }] }] });
    const result = run(testRequest("small", { messages: request.messages }), {});
    expect(result.excluded.map((e) => [e.deployment, e.why])).toEqual([
      ["tiny", "context-window"],
      ["tiny-claude", "context-window"],
    ]);
    expect(names(result)).toEqual(["backup", "cheap"]);
  });

  it("applies the safety factor to non-OpenAI models only", () => {
    // 950 o200k tokens: fits a 1 000 window exactly counted, not after × 1.1.
    const result = run(testRequest("small"), { inputTokens: 950 });
    expect(result.excluded).toEqual([expect.objectContaining({ deployment: "tiny-claude", why: "context-window" })]);
    expect(names(result)[0]).toBe("tiny");
  });

  it("answers CONTEXT_WINDOW_EXCEEDED when only windows were in the way", () => {
    const request = testRequest("small", { fallback: { disableFallback: false, continueOnInterruption: false } });
    const withoutChain = createRouteTable({ ...config, routing: { ...config.routing, defaultChain: [] } }, silent);
    expect(() => run(request, { routes: withoutChain, inputTokens: 5_000 })).toThrow(
      expect.objectContaining({ reason: "CONTEXT_WINDOW_EXCEEDED" }),
    );
  });

  it("filters deployments lacking tools, images or JSON schema", () => {
    const withTools = testRequest("tools", { tools: [{ name: "f", parameters: { type: "object" } }] });
    expect(run(withTools).excluded[0]).toMatchObject({ deployment: "no-tools", why: "capability", detail: "lacks tools" });
    const withImage = testRequest("tools", {
      messages: [{ role: "user", parts: [{ type: "image", url: "https://x/y.png" }] }],
      responseFormat: { type: "json-schema", schema: { type: "object" } },
    });
    expect(run(withImage).excluded[0]).toMatchObject({ deployment: "no-tools", detail: "lacks images, json-schema" });
    expect(names(run(withImage))[0]).toBe("vision");
  });

  it("filters deployments over the cost cap, and unpriced ones", () => {
    const request = testRequest("chat", {
      sampling: { stopSequences: [], maxOutputTokens: 100 },
      routing: { maxCostMicroUsd: 100, tags: [], metadata: {} },
    });
    const result = run(request);
    expect(names(result)).toEqual(["cheap"]);
    expect(result.excluded.map((e) => [e.deployment, e.why])).toEqual([
      ["dear", "cost-cap"],
      ["mid", "cost-cap"],
      ["unpriced", "cost-cap"],
      ["backup", "cost-cap"],
    ]);
  });

  it("skips open breakers but keeps ones past their retry time", () => {
    const snapshot = health({ dear: { breaker: { state: "open", retryAt: 5_000 } }, mid: { breaker: { state: "open", retryAt: 500 } } }, 1_000);
    const result = run(testRequest("chat"), { health: snapshot });
    expect(names(result)).toEqual(["mid", "cheap", "unpriced", "backup"]);
    expect(result.excluded).toEqual([expect.objectContaining({ deployment: "dear", why: "circuit-open", retryAt: 5_000 })]);
  });

  it("fails fast with the earliest retry time when every breaker is open", () => {
    const snapshot = health(
      { mid: { breaker: { state: "open", retryAt: 9_000 } }, backup: { breaker: { state: "open", retryAt: 4_000 } }, cheap: { breaker: { state: "open", retryAt: 6_000 } } },
      1_000,
    );
    let error: unknown;
    try {
      run(testRequest("mid"), { health: snapshot });
    } catch (caught) {
      error = caught;
    }
    expect(error).toMatchObject({ reason: "NO_ELIGIBLE_DEPLOYMENT", retryAfterMs: 3_000, metadata: { cause: "circuit-open" } });
  });

  it("skips disabled providers and explains when nothing is left", () => {
    expect(() => run(testRequest("keyless"), { routes: createRouteTable({ ...config, routing: { ...config.routing, defaultChain: [] } }, silent) })).toThrow(
      expect.objectContaining({ reason: "NO_ELIGIBLE_DEPLOYMENT", message: expect.stringContaining("1 disabled") }),
    );
  });

  it("keeps only the first attempt when fallback is disabled", () => {
    const request = testRequest("chat", { fallback: { disableFallback: true, continueOnInterruption: false } });
    expect(names(run(request))).toEqual(["dear"]);
  });

  it("is pure: the same inputs give the same plan", () => {
    const a = run(testRequest("canary"), { random: createSeededRandom(5) });
    const b = run(testRequest("canary"), { random: createSeededRandom(5) });
    expect(names(a)).toEqual(names(b));
  });
});
