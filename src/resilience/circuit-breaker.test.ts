import { describe, expect, it } from "vitest";
import { breakerSchema, type BreakerConfig } from "../config/schema.js";
import { pino } from "pino";
import { createMemoryStore } from "../state/memory-store.js";
import { createCircuitBreaker, openPeriodMs, type CircuitBreaker } from "./circuit-breaker.js";
import { createFakeClock, type FakeClock } from "./clock.js";

function setup(overrides: Partial<BreakerConfig> = {}): {
  breaker: CircuitBreaker;
  clock: FakeClock;
  lines: Record<string, unknown>[];
  config: BreakerConfig;
} {
  const config = breakerSchema.parse({
    windowMs: 10_000,
    minimumRequests: 10,
    failureRateThreshold: 0.5,
    consecutiveFailures: 5,
    openMs: 1_000,
    maxOpenMs: 8_000,
    halfOpenProbes: 1,
    ...overrides,
  });
  const clock = createFakeClock({ start: 0 });
  const lines: Record<string, unknown>[] = [];
  const logger = pino({ level: "info" }, { write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>) });
  const breaker = createCircuitBreaker({ key: "dep-a", config, store: createMemoryStore(), clock, logger });
  return { breaker, clock, lines, config };
}

async function fail(breaker: CircuitBreaker, times = 1): Promise<void> {
  for (let index = 0; index < times; index += 1) {
    const permit = await breaker.acquire();
    if (permit === undefined) throw new Error("rejected");
    await breaker.onFailure(permit);
  }
}

async function succeed(breaker: CircuitBreaker, times = 1): Promise<void> {
  for (let index = 0; index < times; index += 1) {
    const permit = await breaker.acquire();
    if (permit === undefined) throw new Error("rejected");
    await breaker.onSuccess(permit);
  }
}

describe("createCircuitBreaker", () => {
  it("forgets its stored record and window", async () => {
    const store = createMemoryStore();
    const config = breakerSchema.parse({ consecutiveFailures: 1 });
    const breaker = createCircuitBreaker({ key: "gone", config, store, clock: createFakeClock({ start: 0 }), logger: pino({ level: "silent" }) });
    await succeed(breaker);
    await fail(breaker);
    expect(store.keyCount()).toBeGreaterThan(0);
    await breaker.forget();
    expect(store.keyCount()).toBe(0);
    expect((await breaker.view()).state).toBe("closed");
  });

  it("trips exactly on the N-th consecutive failure", async () => {
    const { breaker } = setup({ consecutiveFailures: 3, minimumRequests: 100 });
    await fail(breaker, 2);
    expect((await breaker.view()).state).toBe("closed");
    await fail(breaker);
    expect(await breaker.view()).toEqual({ state: "open", retryAt: 1_000 });
  });

  it("resets the consecutive count on a success", async () => {
    const { breaker } = setup({ consecutiveFailures: 3, minimumRequests: 100 });
    await fail(breaker, 2);
    await succeed(breaker);
    await fail(breaker, 2);
    expect((await breaker.view()).state).toBe("closed");
  });

  it("trips on the failure rate only once the window holds the minimum volume", async () => {
    const { breaker } = setup({ consecutiveFailures: 100, minimumRequests: 10, failureRateThreshold: 0.5 });
    // 4 successes then alternate: the rate crosses 50 % but volume reaches 10 only at the 10th call.
    await succeed(breaker, 4);
    for (let index = 0; index < 2; index += 1) {
      await fail(breaker);
      await succeed(breaker);
    }
    await fail(breaker); // 9 outcomes, 3 failures
    await fail(breaker); // 10 outcomes, 4 failures: 40 % < 50 %
    expect((await breaker.view()).state).toBe("closed");
    await fail(breaker); // 11 outcomes, 5 failures: 45 %
    expect((await breaker.view()).state).toBe("closed");
    await fail(breaker); // 12 outcomes, 6 failures: 50 % -> trip
    expect((await breaker.view()).state).toBe("open");
  });

  it("does not trip on a high rate below the minimum volume", async () => {
    const { breaker } = setup({ consecutiveFailures: 100, minimumRequests: 10 });
    await fail(breaker, 9);
    expect((await breaker.view()).state).toBe("closed");
    await fail(breaker);
    expect((await breaker.view()).state).toBe("open");
  });

  it("rejects calls while open and admits one probe after the open period", async () => {
    const { breaker, clock } = setup({ consecutiveFailures: 1 });
    await fail(breaker);
    expect(await breaker.acquire()).toBeUndefined();
    await clock.advance(999);
    expect(await breaker.acquire()).toBeUndefined();
    await clock.advance(1);
    expect(await breaker.acquire()).toEqual({ probe: true });
    expect((await breaker.view()).state).toBe("half-open");
    expect(await breaker.acquire()).toBeUndefined();
  });

  it("admits exactly halfOpenProbes probes and closes after that many successes", async () => {
    const { breaker, clock } = setup({ consecutiveFailures: 1, halfOpenProbes: 3 });
    await fail(breaker);
    await clock.advance(1_000);
    const probes = [await breaker.acquire(), await breaker.acquire(), await breaker.acquire(), await breaker.acquire()];
    expect(probes.map((p) => p?.probe)).toEqual([true, true, true, undefined]);
    await breaker.onSuccess({ probe: true });
    await breaker.onSuccess({ probe: true });
    expect((await breaker.view()).state).toBe("half-open");
    await breaker.onSuccess({ probe: true });
    expect((await breaker.view()).state).toBe("closed");
  });

  it("reopens on a probe failure with a doubled open period, capped at maxOpenMs", async () => {
    const { breaker, clock, config } = setup({ consecutiveFailures: 1, openMs: 1_000, maxOpenMs: 3_000 });
    await fail(breaker);
    expect((await breaker.view()).retryAt).toBe(1_000);
    await clock.advance(1_000);
    await fail(breaker); // probe fails: second trip, 2 s
    expect(await breaker.view()).toEqual({ state: "open", retryAt: 3_000 });
    await clock.advance(2_000);
    await fail(breaker); // third trip: 4 s capped at 3 s
    expect(await breaker.view()).toEqual({ state: "open", retryAt: 6_000 });
    expect(openPeriodMs(config, 10)).toBe(3_000);
  });

  it("starts from the base open period again after closing", async () => {
    const { breaker, clock } = setup({ consecutiveFailures: 1 });
    await fail(breaker);
    await clock.advance(1_000);
    await fail(breaker);
    await clock.advance(2_000);
    await succeed(breaker);
    expect((await breaker.view()).state).toBe("closed");
    await fail(breaker);
    expect((await breaker.view()).retryAt).toBe(clock.now() + 1_000);
  });

  it("hands back a probe that ended in a caller error so another can go", async () => {
    const { breaker, clock } = setup({ consecutiveFailures: 1 });
    await fail(breaker);
    await clock.advance(1_000);
    const probe = await breaker.acquire();
    expect(await breaker.acquire()).toBeUndefined();
    await breaker.onIgnored(probe ?? { probe: true });
    expect(await breaker.acquire()).toEqual({ probe: true });
  });

  it("logs every transition at info", async () => {
    const { breaker, clock, lines } = setup({ consecutiveFailures: 1 });
    await fail(breaker);
    await clock.advance(1_000);
    await succeed(breaker);
    const transitions = lines.filter((l) => l.level === 30).map((l) => `${String(l.from)}->${String(l.to)}`);
    expect(transitions).toEqual(["closed->open", "open->half-open", "half-open->closed"]);
  });
});
