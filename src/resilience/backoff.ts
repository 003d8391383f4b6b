/**
 * Retry back-off: exponential with FULL jitter (AWS architecture blog, "Exponential Backoff And
 * Jitter"), never shorter than what the vendor asked for. Full jitter spreads synchronized retries
 * from many callers across the whole interval instead of bunching them at its edge.
 */

export interface BackoffPolicy {
  baseDelayMs: number;
  maxDelayMs: number;
}

/**
 * The wait before retry number `retry` (1 for the first retry): uniform in
 * [0, min(maxDelayMs, baseDelayMs × 2^(retry−1))], then raised to `retryAfterMs` when the vendor sent one.
 */
export function computeBackoffMs(
  policy: BackoffPolicy,
  retry: number,
  random: () => number,
  retryAfterMs?: number,
): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** Math.max(0, retry - 1));
  const jittered = Math.floor(random() * ceiling);
  return Math.max(jittered, retryAfterMs ?? 0);
}
