/**
 * The limiter in this process's memory: the whole gateway's limits without Redis, and each replica's
 * own while Redis does not answer (then a key may get up to replicas × its limit).
 * Same algorithm and answers as the Lua script in `caller-limit-scripts.ts`.
 */
import {
  BUCKET_MS,
  budgetPeriods,
  usdToMicro,
  WINDOW_BUCKETS,
  type Admission,
  type CallerLimiter,
  type LimitCheck,
  type LimitTicket,
  type Settlement,
} from "./caller-limiter.js";

interface KeyCounters {
  /** bucket → [requests, tokens] */
  buckets: Map<number, [number, number]>;
  spend: Map<string, number>;
  /** lease id → lapses at */
  streams: Map<string, number>;
}

export function createMemoryCallerLimiter(options: { now?: () => number } = {}): CallerLimiter & { readonly size: number } {
  const now = options.now ?? Date.now;
  const keys = new Map<string, KeyCounters>();
  const countersOf = (keyId: string): KeyCounters => {
    let counters = keys.get(keyId);
    if (counters === undefined) {
      counters = { buckets: new Map(), spend: new Map(), streams: new Map() };
      keys.set(keyId, counters);
    }
    return counters;
  };

  /** When enough of the window has slid out that `used + amount` fits `limit`. */
  const retryAfter = (buckets: [number, [number, number]][], index: 0 | 1, used: number, amount: number, limit: number, at: number): number => {
    let freed = 0;
    for (const [bucket, counts] of buckets) {
      freed += counts[index];
      if (used - freed + amount <= limit) return Math.max(1, (bucket + WINDOW_BUCKETS) * BUCKET_MS - at);
    }
    return WINDOW_BUCKETS * BUCKET_MS;
  };

  /**
   * Forgets callers with nothing left to count (no request in the window, no live stream, no spend this
   * month), so that one entry per token user (`jwt:<policy>:<sub>`) does not grow memory forever.
   */
  let lastSweep = now();
  const sweep = (at: number): void => {
    if (at - lastSweep < WINDOW_BUCKETS * BUCKET_MS) return;
    lastSweep = at;
    const oldest = Math.floor(at / BUCKET_MS) - WINDOW_BUCKETS + 1;
    const month = `m:${budgetPeriods(at).month}`;
    for (const [keyId, counters] of keys) {
      const counting =
        [...counters.buckets.keys()].some((bucket) => bucket >= oldest) ||
        [...counters.streams.values()].some((until) => until > at) ||
        (counters.spend.get(month) ?? 0) > 0;
      if (!counting) keys.delete(keyId);
    }
  };

  return {
    /** Callers with counters in memory (for tests of the sweep). */
    get size() {
      return keys.size;
    },
    async admit(check: LimitCheck): Promise<Admission> {
      const at = now();
      sweep(at);
      const { policy } = check;
      const counters = countersOf(check.keyId);
      const periods = budgetPeriods(at);
      const dayBudget = usdToMicro(policy.dailyBudgetUsd);
      const monthBudget = usdToMicro(policy.monthlyBudgetUsd);
      if (dayBudget > 0 && (counters.spend.get(`d:${periods.day}`) ?? 0) >= dayBudget) {
        return { admitted: false, limit: "daily-budget", retryAfterMs: periods.dayEndsInMs };
      }
      if (monthBudget > 0 && (counters.spend.get(`m:${periods.month}`) ?? 0) >= monthBudget) {
        return { admitted: false, limit: "monthly-budget", retryAfterMs: periods.monthEndsInMs };
      }
      if (check.streamLease !== undefined && policy.maxConcurrentStreams !== undefined) {
        for (const [lease, until] of counters.streams) if (until <= at) counters.streams.delete(lease);
        if (counters.streams.size >= policy.maxConcurrentStreams) return { admitted: false, limit: "concurrent-streams", retryAfterMs: 1_000 };
      }
      const bucket = Math.floor(at / BUCKET_MS);
      const oldest = bucket - WINDOW_BUCKETS + 1;
      let requests = 0;
      let tokens = 0;
      for (const [b, counts] of counters.buckets) {
        if (b < oldest) counters.buckets.delete(b);
        else {
          requests += counts[0];
          tokens += counts[1];
        }
      }
      const ordered = (): [number, [number, number]][] => [...counters.buckets].sort((x, y) => x[0] - y[0]);
      const rpm = policy.requestsPerMinute;
      if (rpm !== undefined && requests + 1 > rpm) {
        return { admitted: false, limit: "requests-per-minute", retryAfterMs: retryAfter(ordered(), 0, requests, 1, rpm, at) };
      }
      const tpm = policy.tokensPerMinute;
      if (tpm !== undefined && tokens + check.tokens > tpm) {
        return { admitted: false, limit: "tokens-per-minute", retryAfterMs: retryAfter(ordered(), 1, tokens, check.tokens, tpm, at) };
      }
      const counts = counters.buckets.get(bucket) ?? [0, 0];
      counts[0] += 1;
      counts[1] += tpm === undefined ? 0 : check.tokens;
      counters.buckets.set(bucket, counts);
      if (check.streamLease !== undefined && policy.maxConcurrentStreams !== undefined) counters.streams.set(check.streamLease, check.leaseUntil);
      const ticket: LimitTicket = {
        keyId: check.keyId,
        bucket,
        tokens: tpm === undefined ? 0 : check.tokens,
        streamLease: policy.maxConcurrentStreams === undefined ? undefined : check.streamLease,
        counted: "local",
      };
      return { admitted: true, ticket };
    },
    settle(ticket: LimitTicket, used: Settlement): void {
      const counters = keys.get(ticket.keyId);
      if (counters === undefined) return;
      if (ticket.streamLease !== undefined) counters.streams.delete(ticket.streamLease);
      if (used.tokens !== undefined && ticket.tokens > 0) {
        const counts = counters.buckets.get(ticket.bucket);
        if (counts !== undefined) counts[1] = Math.max(0, counts[1] + used.tokens - ticket.tokens);
      }
      if (used.costMicroUsd !== undefined && used.costMicroUsd > 0) {
        const periods = budgetPeriods(now());
        for (const period of [`d:${periods.day}`, `m:${periods.month}`]) {
          counters.spend.set(period, (counters.spend.get(period) ?? 0) + used.costMicroUsd);
        }
        for (const period of counters.spend.keys()) {
          if (period !== `d:${periods.day}` && period !== `m:${periods.month}`) counters.spend.delete(period);
        }
      }
    },
    async close() {},
  };
}
