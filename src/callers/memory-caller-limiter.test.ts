import { describe, expect, it } from "vitest";
import type { KeyPolicy } from "../config/schema.js";
import type { LimitCheck } from "./caller-limiter.js";
import { createMemoryCallerLimiter } from "./memory-caller-limiter.js";

const policy = (limits: Partial<KeyPolicy>): KeyPolicy => ({ metadata: {}, ...limits });
const check = (limits: Partial<KeyPolicy>, extra: Partial<LimitCheck> = {}): LimitCheck => ({
  keyId: "key_a",
  policy: policy(limits),
  tokens: 10,
  leaseUntil: Number.MAX_SAFE_INTEGER,
  ...extra,
});

describe("the memory caller limiter", () => {
  it("admits exactly the requests per minute of a burst, then says when one slides out", async () => {
    let now = 1_000_000;
    const limiter = createMemoryCallerLimiter({ now: () => now });
    const answers = [];
    for (let index = 0; index < 15; index++) answers.push(await limiter.admit(check({ requestsPerMinute: 10 })));
    expect(answers.filter((answer) => answer.admitted)).toHaveLength(10);
    const refused = answers[14];
    expect(refused).toMatchObject({ admitted: false, limit: "requests-per-minute" });
    expect(refused.admitted ? 0 : refused.retryAfterMs).toBe(60_000);
    now += 60_000;
    expect((await limiter.admit(check({ requestsPerMinute: 10 }))).admitted).toBe(true);
  });

  it("reserves tokens and settles them to the real usage", async () => {
    const limiter = createMemoryCallerLimiter({ now: () => 5_000 });
    const first = await limiter.admit(check({ tokensPerMinute: 100 }, { tokens: 80 }));
    expect(first.admitted).toBe(true);
    expect((await limiter.admit(check({ tokensPerMinute: 100 }, { tokens: 30 }))).admitted).toBe(false);
    if (first.admitted) limiter.settle(first.ticket, { tokens: 20 });
    expect((await limiter.admit(check({ tokensPerMinute: 100 }, { tokens: 30 }))).admitted).toBe(true);
  });

  it("keeps the reservation when the usage is unknown", async () => {
    const limiter = createMemoryCallerLimiter({ now: () => 5_000 });
    const first = await limiter.admit(check({ tokensPerMinute: 100 }, { tokens: 80 }));
    if (first.admitted) limiter.settle(first.ticket, {});
    expect((await limiter.admit(check({ tokensPerMinute: 100 }, { tokens: 30 }))).admitted).toBe(false);
  });

  it("refuses the call after the one that crossed the daily budget, until the day ends", async () => {
    const now = Date.UTC(2026, 4, 14, 23, 0, 0);
    const limiter = createMemoryCallerLimiter({ now: () => now });
    const first = await limiter.admit(check({ dailyBudgetUsd: 1 }));
    expect(first.admitted).toBe(true);
    if (first.admitted) limiter.settle(first.ticket, { costMicroUsd: 1_500_000 });
    const next = await limiter.admit(check({ dailyBudgetUsd: 1 }));
    expect(next).toEqual({ admitted: false, limit: "daily-budget", retryAfterMs: 3_600_000 });
  });

  it("counts concurrent streams until their lease is returned or lapses", async () => {
    let now = 0;
    const limiter = createMemoryCallerLimiter({ now: () => now });
    const limits = { maxConcurrentStreams: 1 };
    const first = await limiter.admit(check(limits, { streamLease: "a", leaseUntil: 10_000 }));
    expect(first.admitted).toBe(true);
    expect((await limiter.admit(check(limits, { streamLease: "b", leaseUntil: 10_000 }))).admitted).toBe(false);
    if (first.admitted) limiter.settle(first.ticket, {});
    expect((await limiter.admit(check(limits, { streamLease: "c", leaseUntil: 10_000 }))).admitted).toBe(true);
    now = 10_001;
    expect((await limiter.admit(check(limits, { streamLease: "d", leaseUntil: 20_000 }))).admitted).toBe(true);
  });

  it("forgets callers with nothing left to count, so one entry per token user does not grow memory forever", async () => {
    let now = 0;
    const limiter = createMemoryCallerLimiter({ now: () => now });
    for (let user = 0; user < 1_000; user++) await limiter.admit(check({ requestsPerMinute: 5 }, { keyId: `jwt:free:user-${user}` }));
    const spender = await limiter.admit(check({ dailyBudgetUsd: 1 }, { keyId: "jwt:free:spender" }));
    if (spender.admitted) limiter.settle(spender.ticket, { costMicroUsd: 10 });
    expect(limiter.size).toBe(1_001);
    now = 61_000;
    await limiter.admit(check({ requestsPerMinute: 5 }, { keyId: "jwt:free:late" }));
    expect(limiter.size).toBe(2);
  });
});
