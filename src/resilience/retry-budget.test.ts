import { describe, expect, it } from "vitest";
import { computeBackoffMs } from "./backoff.js";
import { createFakeClock } from "./clock.js";
import { createSeededRandom } from "./random.js";
import { createRetryBudget } from "./retry-budget.js";

describe("computeBackoffMs", () => {
  it("draws full jitter between zero and the exponential ceiling", () => {
    const random = createSeededRandom(7);
    const policy = { baseDelayMs: 100, maxDelayMs: 2_000 };
    for (let retry = 1; retry <= 8; retry += 1) {
      const ceiling = Math.min(2_000, 100 * 2 ** (retry - 1));
      for (let draw = 0; draw < 50; draw += 1) {
        const delay = computeBackoffMs(policy, retry, random);
        expect(delay).toBeGreaterThanOrEqual(0);
        expect(delay).toBeLessThan(ceiling);
      }
    }
  });

  it("never waits less than the vendor's Retry-After", () => {
    const random = createSeededRandom(1);
    for (let draw = 0; draw < 100; draw += 1) {
      expect(computeBackoffMs({ baseDelayMs: 100, maxDelayMs: 2_000 }, 1, random, 2_000)).toBeGreaterThanOrEqual(2_000);
    }
  });
});

describe("createRetryBudget", () => {
  it("allows the minimum number of retries even with few requests", () => {
    const budget = createRetryBudget({ ratio: 0.2, minRetries: 3, clock: createFakeClock() });
    budget.recordRequest();
    expect([budget.tryAcquireRetry(), budget.tryAcquireRetry(), budget.tryAcquireRetry(), budget.tryAcquireRetry()]).toEqual([
      true,
      true,
      true,
      false,
    ]);
  });

  it("caps retries at the ratio of requests in the window", () => {
    const budget = createRetryBudget({ ratio: 0.2, minRetries: 0, clock: createFakeClock() });
    let granted = 0;
    for (let request = 0; request < 100; request += 1) {
      budget.recordRequest();
      for (let retry = 0; retry < 3; retry += 1) if (budget.tryAcquireRetry()) granted += 1;
    }
    expect(granted).toBe(20);
  });

  it("forgets requests and retries that slid out of the window", async () => {
    const clock = createFakeClock({ start: 0 });
    const budget = createRetryBudget({ ratio: 0.5, minRetries: 0, windowMs: 1_000, clock });
    budget.recordRequest();
    budget.recordRequest();
    expect(budget.tryAcquireRetry()).toBe(true);
    expect(budget.tryAcquireRetry()).toBe(false);
    await clock.advance(1_001);
    expect(budget.usage()).toEqual({ requests: 0, retries: 0 });
    expect(budget.tryAcquireRetry()).toBe(false);
  });

  it("holds about one window of timestamps however many requests pass without a retry", async () => {
    const clock = createFakeClock({ start: 0 });
    const budget = createRetryBudget({ ratio: 0.2, minRetries: 0, windowMs: 1_000, clock });
    // 100 requests per millisecond-step for 10 s: a healthy upstream, so nothing ever asks for a retry.
    for (let step = 0; step < 10_000; step += 1) {
      for (let index = 0; index < 10; index += 1) budget.recordRequest();
      await clock.advance(1);
    }
    // One window is 10,000 requests: room for 16,384 (the ring doubles) plus the retries log's 64.
    expect(budget.heldTimestamps()).toBeLessThanOrEqual(16_384 + 64);
    expect(budget.usage().requests).toBeLessThanOrEqual(10_010);
  });
});
