/**
 * A latency summary over the most recent samples: a bounded ring (fixed memory) of the samples in
 * arrival order, a copy of the same samples kept sorted, and an exponentially weighted moving average
 * for the latency strategy. Every request records a sample and the next plan reads the summary, so the
 * sorted copy is maintained on record (binary search, then a memmove of at most `capacity` numbers)
 * instead of sorting on read: a read is O(1).
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

/** Index of the first element of `sorted[0, size)` that is not below `value`. */
function lowerBound(sorted: Float64Array, size: number, value: number): number {
  let low = 0;
  let high = size;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (sorted[middle] < value) low = middle + 1;
    else high = middle;
  }
  return low;
}

/** Creates a window keeping the last `capacity` samples (256 by default). */
export function createLatencyWindow(capacity = 256): LatencyWindow {
  const ring = new Float64Array(capacity);
  const sorted = new Float64Array(capacity);
  let size = 0;
  let next = 0;
  let ewma: number | undefined;
  return {
    record(ms) {
      if (size === capacity) {
        // The oldest sample leaves the sorted copy: close its gap.
        const leaving = lowerBound(sorted, size, ring[next]);
        sorted.copyWithin(leaving, leaving + 1, size);
        size -= 1;
      }
      const at = lowerBound(sorted, size, ms);
      sorted.copyWithin(at + 1, at, size);
      sorted[at] = ms;
      size += 1;
      ring[next] = ms;
      next = (next + 1) % capacity;
      ewma = ewma === undefined ? ms : EWMA_ALPHA * ms + (1 - EWMA_ALPHA) * ewma;
    },
    summary() {
      if (size === 0) return { samples: 0 };
      const filled = sorted.subarray(0, size);
      return {
        p50Ms: percentile(filled, 0.5),
        p95Ms: percentile(filled, 0.95),
        p99Ms: percentile(filled, 0.99),
        ewmaMs: ewma,
        samples: size,
      };
    },
  };
}
