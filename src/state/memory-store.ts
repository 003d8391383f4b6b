/**
 * The in-process `StateStore`: fine for one replica and for tests. JavaScript runs each method to
 * completion before another starts, so compare-and-set needs no locks here.
 */
import { createLatencyWindow, type LatencyWindow } from "../stats/latency-window.js";
import { TimestampRing } from "./timestamp-ring.js";
import { initialBreakerRecord, type BreakerRecord, type OutcomeCounts, type StateStore } from "./state-store.js";

/** An outcome log: outcomes in the window, failures flagged (timestamp-ring.ts says why a ring). */
type OutcomeLog = TimestampRing;

function count(log: OutcomeLog): OutcomeCounts {
  return { total: log.length, failures: log.flaggedCount };
}

/** Creates an empty in-memory store. */
export function createMemoryStore(options: { latencySamples?: number } = {}): StateStore {
  const breakers = new Map<string, BreakerRecord>();
  const outcomes = new Map<string, OutcomeLog>();
  const latencies = new Map<string, LatencyWindow>();
  const counters = new Map<string, number>();
  const inFlight = new Map<string, number>();

  const outcomeLog = (key: string): OutcomeLog => {
    let log = outcomes.get(key);
    if (log === undefined) {
      log = new TimestampRing();
      outcomes.set(key, log);
    }
    return log;
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
      const log = outcomeLog(key);
      log.push(at, failed);
      log.pruneThrough(at - windowMs);
      return count(log);
    },
    async readOutcomes(key, at, windowMs) {
      const log = outcomeLog(key);
      log.pruneThrough(at - windowMs);
      return count(log);
    },
    async clearOutcomes(key) {
      outcomes.delete(key);
    },
    async recordLatency(series, ms) {
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
    async incrementCounter(name, by = 1) {
      const value = (counters.get(name) ?? 0) + by;
      counters.set(name, value);
      return value;
    },
    async readCounter(name) {
      return counters.get(name) ?? 0;
    },
    async adjustInFlight(key, delta) {
      const value = Math.max(0, (inFlight.get(key) ?? 0) + delta);
      inFlight.set(key, value);
      return value;
    },
    async readInFlight(key) {
      return inFlight.get(key) ?? 0;
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
