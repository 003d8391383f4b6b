/**
 * The in-process `StateStore`: fine for one replica and for tests. JavaScript runs each method to
 * completion before another starts, so compare-and-set needs no locks here.
 */
import { createLatencyWindow, type LatencyWindow } from "../stats/latency-window.js";
import { initialBreakerRecord, type BreakerRecord, type OutcomeCounts, type StateStore } from "./state-store.js";

interface OutcomeLog {
  at: number[];
  failed: boolean[];
  head: number;
  /** Failures between head and the end, kept as outcomes enter and leave: O(1) counts. */
  failures: number;
}

function prune(log: OutcomeLog, from: number): void {
  while (log.head < log.at.length && log.at[log.head] <= from) {
    if (log.failed[log.head]) log.failures -= 1;
    log.head += 1;
  }
  if (log.head > 1_024 && log.head * 2 > log.at.length) {
    log.at.splice(0, log.head);
    log.failed.splice(0, log.head);
    log.head = 0;
  }
}

function count(log: OutcomeLog): OutcomeCounts {
  return { total: log.at.length - log.head, failures: log.failures };
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
      log = { at: [], failed: [], head: 0, failures: 0 };
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
      log.at.push(at);
      log.failed.push(failed);
      if (failed) log.failures += 1;
      prune(log, at - windowMs);
      return count(log);
    },
    async readOutcomes(key, at, windowMs) {
      const log = outcomeLog(key);
      prune(log, at - windowMs);
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
