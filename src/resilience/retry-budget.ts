/**
 * A retry budget (Envoy's `retry_budget`, gRPC's retry throttling): same-deployment retries may be at
 * most `ratio` of the requests seen over a sliding window, with a floor of `minRetries`, so that
 * during an outage retries add at most ~20 % load instead of multiplying it.
 *
 * Policy (declared for battery rows R1/R17): the budget covers retries of the SAME deployment.
 * Moving to a different deployment is a fallback, not a retry: it adds no load to the failing
 * deployment and is bounded instead by `maxAttempts` and by that deployment's circuit breaker.
 * The schema calls `budgetMinRetries` "concurrent"; with sequential requests a concurrency floor
 * would never bind, so it is applied as a per-window floor instead.
 */
import { TimestampRing } from "../state/timestamp-ring.js";
import type { Clock } from "./clock.js";

export interface RetryBudget {
  /** Counts one request against the window. */
  recordRequest(): void;
  /** Takes one retry from the budget if there is room; false when the budget is spent. */
  tryAcquireRetry(): boolean;
  /** Requests and retries in the current window. */
  usage(): { requests: number; retries: number };
  /** Timestamps the logs have room for, for tests: about one window's worth, rounded up to a power of two. */
  heldTimestamps(): number;
}

export interface RetryBudgetOptions {
  ratio: number;
  minRetries: number;
  /** Sliding window; 10 s unless given. */
  windowMs?: number;
  clock: Clock;
}

/**
 * A sliding log of timestamps, pruned on every add and count, so it never holds more than one window.
 * (Pruning only on count let the request log grow without bound: it is counted only when a retry is
 * asked for, which on a healthy upstream is never.) A ring, for the reason in timestamp-ring.ts.
 */
function createTimeLog(windowMs: number): { add(at: number): void; count(from: number): number; size(): number } {
  const ring = new TimestampRing();
  return {
    add(at) {
      ring.pruneBefore(at - windowMs);
      ring.push(at);
    },
    count(from) {
      ring.pruneBefore(from);
      return ring.length;
    },
    size: () => ring.capacity,
  };
}

/** Creates an in-process retry budget. */
export function createRetryBudget(options: RetryBudgetOptions): RetryBudget {
  const windowMs = options.windowMs ?? 10_000;
  const requests = createTimeLog(windowMs);
  const retries = createTimeLog(windowMs);
  const usage = (): { requests: number; retries: number } => {
    const from = options.clock.now() - windowMs;
    return { requests: requests.count(from), retries: retries.count(from) };
  };
  return {
    recordRequest() {
      requests.add(options.clock.now());
    },
    tryAcquireRetry() {
      const current = usage();
      const allowed = Math.max(options.minRetries, Math.floor(options.ratio * current.requests));
      if (current.retries >= allowed) return false;
      retries.add(options.clock.now());
      return true;
    },
    usage,
    heldTimestamps: () => requests.size() + retries.size(),
  };
}
