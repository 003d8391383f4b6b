/**
 * A latency summary over the most recent samples: a bounded ring (O(1) per record, fixed memory) for
 * percentiles plus an exponentially weighted moving average for the latency strategy. Percentiles are
 * computed on read from a sorted copy that is cached until the next record; with 256 samples that is
 * cheap enough for a per-request health snapshot.
 */

/** What a window reports. Fields are absent until there is a sample: no sample is not zero latency. */
export interface LatencySummary {
  p50Ms?: number;
  p95Ms?: number;
  p99Ms?: number;
  ewmaMs?: number;
  samples: number;
}

export interface LatencyWindow {
  record(ms: number): void;
  summary(): LatencySummary;
}

/** Weight of the newest sample in the EWMA: ~the last 10 samples dominate. */
export const EWMA_ALPHA = 0.2;

/** Nearest-rank percentile of an ascending array. */
function percentile(sorted: ArrayLike<number>, q: number): number {
  const rank = Math.ceil(q * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))];
}

/** Creates a window keeping the last `capacity` samples (256 by default). */
export function createLatencyWindow(capacity = 256): LatencyWindow {
  const ring = new Float64Array(capacity);
  let size = 0;
  let next = 0;
  let ewma: number | undefined;
  let sorted: Float64Array | undefined;
  return {
    record(ms) {
      ring[next] = ms;
      next = (next + 1) % capacity;
      size = Math.min(capacity, size + 1);
      ewma = ewma === undefined ? ms : EWMA_ALPHA * ms + (1 - EWMA_ALPHA) * ewma;
      sorted = undefined;
    },
    summary() {
      if (size === 0) return { samples: 0 };
      // A typed array sorts numerically without a JS comparator: several times faster for 256 samples.
      sorted ??= ring.slice(0, size).sort();
      return {
        p50Ms: percentile(sorted, 0.5),
        p95Ms: percentile(sorted, 0.95),
        p99Ms: percentile(sorted, 0.99),
        ewmaMs: ewma,
        samples: size,
      };
    },
  };
}
