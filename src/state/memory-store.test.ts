import { describe, expect, it } from "vitest";
import { createMemoryStore } from "./memory-store.js";
import { initialBreakerRecord } from "./state-store.js";

describe("createMemoryStore", () => {
  it("writes a breaker record only when the expected version matches", async () => {
    const store = createMemoryStore();
    const { version, ...fresh } = await store.readBreaker("x");
    expect(version).toBe(0);
    const written = await store.compareAndSetBreaker("x", 0, { ...fresh, state: "open", retryAt: 10, trips: 1 });
    expect(written).toMatchObject({ state: "open", version: 1 });
    expect(await store.compareAndSetBreaker("x", 0, { ...fresh, state: "closed" })).toBeUndefined();
    expect((await store.readBreaker("x")).state).toBe("open");
    expect(await store.readBreaker("y")).toEqual(initialBreakerRecord());
  });

  it("counts outcomes over a sliding window", async () => {
    const store = createMemoryStore();
    await store.recordOutcome("w", 0, true, 1_000);
    await store.recordOutcome("w", 500, false, 1_000);
    expect(await store.recordOutcome("w", 900, true, 1_000)).toEqual({ total: 3, failures: 2 });
    expect(await store.readOutcomes("w", 1_200, 1_000)).toEqual({ total: 2, failures: 1 });
    expect(await store.readOutcomes("w", 2_000, 1_000)).toEqual({ total: 0, failures: 0 });
  });

  it("keeps counters, in-flight gauges and latency series", async () => {
    const store = createMemoryStore();
    store.addToCounter("c", 5);
    expect(await store.readCounter("c")).toBe(5);
    expect(await store.readCounter("c")).toBe(5);
    expect(await store.adjustInFlight("d", 1)).toBe(1);
    expect(await store.adjustInFlight("d", -2)).toBe(0);
    store.recordLatency("l", 40);
    expect(await store.readLatency("l")).toMatchObject({ p50Ms: 40, samples: 1 });
    expect(await store.readLatency("none")).toEqual({ samples: 0 });
  });

  it("creates no key when reading", async () => {
    const store = createMemoryStore();
    await store.readBreaker("b");
    await store.readOutcomes("w", 0, 1_000);
    await store.readLatency("l");
    await store.readCounter("c");
    await store.readInFlight("d");
    expect(store.keyCount()).toBe(0);
  });

  it("deletes an outcome window once every event has left it, and an in-flight gauge back at zero", async () => {
    const store = createMemoryStore();
    await store.recordOutcome("w", 0, true, 1_000);
    await store.adjustInFlight("d", 1);
    expect(store.keyCount()).toBe(2);
    await store.adjustInFlight("d", -1);
    expect(await store.readOutcomes("w", 5_000, 1_000)).toEqual({ total: 0, failures: 0 });
    expect(store.keyCount()).toBe(0);
  });

  it("forgets keys of every kind and only those", async () => {
    const store = createMemoryStore();
    const { version, ...fresh } = await store.readBreaker("b");
    await store.compareAndSetBreaker("b", version, { ...fresh, state: "open" });
    await store.recordOutcome("w", 0, false, 1_000);
    store.recordLatency("l", 5);
    store.addToCounter("c");
    await store.adjustInFlight("d", 1);
    store.addToCounter("kept");
    await store.forget(["b", "w", "l", "c", "d", "never-written"]);
    expect(store.keyCount()).toBe(1);
    expect(await store.readBreaker("b")).toEqual(initialBreakerRecord());
    expect(await store.readLatency("l")).toEqual({ samples: 0 });
    expect(await store.readCounter("kept")).toBe(1);
  });
});
