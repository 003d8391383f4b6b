/**
 * The in-process `StateStore`: fine for one replica and for tests. JavaScript runs each method to
 * completion before another starts, so compare-and-set needs no locks here.
 *
 * A key is held only while it says something: an outcome window whose events have all left it and an
 * in-flight gauge back at zero are deleted, as Redis deletes an emptied sorted set. Counters, latency
 * series and breaker records have no such end; their owners delete them (`forget`) when the
 * deployment they describe is gone.
 */
import { createLatencyWindow, type LatencyWindow } from "../stats/latency-window.js";
import { TimestampRing } from "./timestamp-ring.js";
import { initialBreakerRecord, type BreakerRecord, type OutcomeCounts, type StateStore } from "./state-store.js";

/** An outcome log: outcomes in the window, failures flagged (timestamp-ring.ts says why a ring). */
type OutcomeLog = TimestampRing;

function count(log: OutcomeLog): OutcomeCounts {
  return { total: log.length, failures: log.flaggedCount };
}

export interface MemoryStore extends StateStore {
  /** Keys held, of every kind (tests assert it stays bounded). */
  keyCount(): number;
}

/** Creates an empty in-memory store. */
export function createMemoryStore(options: { latencySamples?: number } = {}): MemoryStore {
  const breakers = new Map<string, BreakerRecord>();
  const outcomes = new Map<string, OutcomeLog>();
  const latencies = new Map<string, LatencyWindow>();
  const counters = new Map<string, number>();
  const inFlight = new Map<string, number>();

  /** Prunes `key`'s window to (at − windowMs, at] and deletes it when nothing is left. */
  const pruneOutcomes = (key: string, log: OutcomeLog, at: number, windowMs: number): OutcomeCounts => {
    log.pruneThrough(at - windowMs);
    if (log.length === 0) outcomes.delete(key);
    return count(log);
  };

  return {
    async readBreaker(key) {
      return { ...(breakers.get(key) ?? initialBreakerRecord()) };
    },
    async compareAndSetBreaker(key, expectedVersion, next) {
      const current = breakers.get(key) ?? initialBreakerRecord();
      if (current.version !== expectedVersion) return undefined;
      const stored: BreakerRecord = { ...next, version: expectedVersion + 1 };
      breakers.set(key, stored);
      return { ...stored };
    },
    async recordOutcome(key, at, failed, windowMs) {
      let log = outcomes.get(key);
      if (log === undefined) {
        log = new TimestampRing();
        outcomes.set(key, log);
      }
      log.push(at, failed);
      return pruneOutcomes(key, log, at, windowMs);
    },
    async readOutcomes(key, at, windowMs) {
      const log = outcomes.get(key);
      return log === undefined ? { total: 0, failures: 0 } : pruneOutcomes(key, log, at, windowMs);
    },
    recordLatency(series, ms) {
      let window = latencies.get(series);
      if (window === undefined) {
        window = createLatencyWindow(options.latencySamples);
        latencies.set(series, window);
      }
      window.record(ms);
    },
    async readLatency(series) {
      return latencies.get(series)?.summary() ?? { samples: 0 };
    },
    addToCounter(name, by = 1) {
      counters.set(name, (counters.get(name) ?? 0) + by);
    },
    async readCounter(name) {
      return counters.get(name) ?? 0;
    },
    adjustInFlight(key, delta) {
      const value = Math.max(0, (inFlight.get(key) ?? 0) + delta);
      if (value === 0) inFlight.delete(key);
      else inFlight.set(key, value);
      return value;
    },
    async readInFlight(key) {
      return inFlight.get(key) ?? 0;
    },
    async forget(keys) {
      for (const key of keys) {
        breakers.delete(key);
        outcomes.delete(key);
        latencies.delete(key);
        counters.delete(key);
        inFlight.delete(key);
      }
    },
    keyCount() {
      return breakers.size + outcomes.size + latencies.size + counters.size + inFlight.size;
    },
    async close() {
      breakers.clear();
      outcomes.clear();
      latencies.clear();
      counters.clear();
      inFlight.clear();
    },
  };
}
