/**
 * Where shared routing state lives: circuit-breaker records, outcome windows, latency samples,
 * counters and in-flight gauges. Every method is async and every breaker change is a
 * compare-and-set on a versioned record, so a Redis implementation can make each call one atomic
 * Lua script (read-compare-write of a hash, ZADD/ZREMRANGEBYSCORE for windows, INCRBY for counters)
 * and several replicas then share one breaker with a single probe owner. The breaker's decision
 * logic stays in `resilience/circuit-breaker.ts`; stores only keep data consistent.
 */
import type { LatencySummary } from "../stats/latency-window.js";

export type BreakerState = "closed" | "open" | "half-open";

/** One deployment's breaker, as stored. */
export interface BreakerRecord {
  state: BreakerState;
  /** Open: when probes may start (ms since epoch). */
  retryAt?: number;
  /** Trips since the breaker last closed; the open period doubles with each. */
  trips: number;
  /** Provider faults in a row while closed. */
  consecutiveFailures: number;
  /** Half-open: probes admitted and not given back. */
  probesAdmitted: number;
  /** Half-open: probes that succeeded. */
  probeSuccesses: number;
  /** Bumped on every write; the compare in compare-and-set. */
  version: number;
}

/** Outcomes inside a sliding window. */
export interface OutcomeCounts {
  total: number;
  failures: number;
}

/** The state a gateway replica shares with others (or keeps to itself, in memory). */
export interface StateStore {
  /** The breaker record for `key`; a fresh closed record (version 0) when there is none. */
  readBreaker(key: string): Promise<BreakerRecord>;
  /**
   * Writes `next` (with version `expectedVersion + 1`) only if the stored version is still
   * `expectedVersion`. Returns the stored record on success, undefined when someone else wrote first.
   */
  compareAndSetBreaker(
    key: string,
    expectedVersion: number,
    next: Omit<BreakerRecord, "version">,
  ): Promise<BreakerRecord | undefined>;
  /** Adds one outcome at `at` and returns the counts over (at − windowMs, at]. */
  recordOutcome(key: string, at: number, failed: boolean, windowMs: number): Promise<OutcomeCounts>;
  /** Counts over (at − windowMs, at] without adding. */
  readOutcomes(key: string, at: number, windowMs: number): Promise<OutcomeCounts>;
  /** Forgets a window (a breaker that closes starts afresh). */
  clearOutcomes(key: string): Promise<void>;
  /** Adds a latency sample to a series (bounded: old samples fall out). */
  recordLatency(series: string, ms: number): Promise<void>;
  /** Percentiles and EWMA of a series. */
  readLatency(series: string): Promise<LatencySummary>;
  /** Adds `by` to a counter and returns the new value. */
  incrementCounter(name: string, by?: number): Promise<number>;
  /** A counter's value (0 when never incremented). */
  readCounter(name: string): Promise<number>;
  /** Adds `delta` to an in-flight gauge and returns the new value. */
  adjustInFlight(key: string, delta: number): Promise<number>;
  readInFlight(key: string): Promise<number>;
  /** Deletes `keys`, whatever kind each is; absent keys are ignored. For state whose subject is gone. */
  forget(keys: readonly string[]): Promise<void>;
  close(): Promise<void>;
}

/** The record a breaker starts from. */
export function initialBreakerRecord(): BreakerRecord {
  return { state: "closed", trips: 0, consecutiveFailures: 0, probesAdmitted: 0, probeSuccesses: 0, version: 0 };
}
