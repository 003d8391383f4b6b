/**
 * Where shared routing state lives: circuit-breaker records, outcome windows, latency samples,
 * counters and in-flight gauges. In memory (`memory-store.ts`) for one replica; in Redis
 * (`redis-store.ts`) for several, where each breaker change is one compare-and-set Lua script, so
 * replicas share one breaker with a single probe owner. The breaker's decision logic stays in
 * `resilience/circuit-breaker.ts`; stores only keep data consistent.
 *
 * What a request waits for. Reads may be served from a local copy a little behind the shared truth
 * (the Redis store keeps it fresh); writes that decide nothing (`addToCounter`, `recordLatency`) return
 * nothing and are sent in the background. Only a breaker write and `recordOutcome` (whose counts can
 * trip a breaker) are a round trip, and callers await them only on the failure path.
 *
 * Keys name their subject between braces (`breaker:{deployment}`), so in a Redis Cluster every key
 * of one deployment hashes to one slot.
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
  /**
   * Adds one outcome at `at` and returns the counts over (at − windowMs, at], across replicas. Never
   * rejects (a store that cannot reach its shared copy counts locally).
   */
  recordOutcome(key: string, at: number, failed: boolean, windowMs: number): Promise<OutcomeCounts>;
  /** Counts over (at − windowMs, at] without adding. */
  readOutcomes(key: string, at: number, windowMs: number): Promise<OutcomeCounts>;
  /** Adds a latency sample to a series (bounded: old samples fall out). Sent in the background. */
  recordLatency(series: string, ms: number): void;
  /** Percentiles and EWMA of a series. */
  readLatency(series: string): Promise<LatencySummary>;
  /** Adds `by` to a counter. Sent in the background. */
  addToCounter(name: string, by?: number): void;
  /** A counter's value (0 when never incremented). */
  readCounter(name: string): Promise<number>;
  /** Adds `delta` to this replica's in-flight gauge `key`; returns this replica's new value. */
  adjustInFlight(key: string, delta: number): number;
  /** The gauge summed over live replicas. */
  readInFlight(key: string): Promise<number>;
  /**
   * Deletes `keys`, whatever kind each is; absent keys are ignored. For state whose subject is gone,
   * and for a window that starts afresh (a breaker that trips or closes).
   */
  forget(keys: readonly string[]): Promise<void>;
  close(): Promise<void>;
}

/** The record a breaker starts from. */
export function initialBreakerRecord(): BreakerRecord {
  return { state: "closed", trips: 0, consecutiveFailures: 0, probesAdmitted: 0, probeSuccesses: 0, version: 0 };
}
