/**
 * Per-key limits and budgets, as one admission step per call and one settlement after it.
 *
 * - Requests and tokens per minute: a sliding window of 60 one-second buckets. A call is admitted when
 *   the window's sum plus its own amount stays within the limit, so a burst gets exactly the limit and
 *   never 2× at a window's edge (a fixed window's flaw). Tokens are reserved (estimated input +
 *   `max_output_tokens`, capped at the limit so one call is never refused forever) and settled to the
 *   real usage afterwards, in the bucket that reserved them.
 * - Budgets (USD per UTC day and month): the spend so far is checked before the call; the real cost is
 *   added after it. A call that crosses the budget finishes; the next is refused.
 * - Concurrent streams: one lease per stream, with an expiry (the call's deadline), so a lease a crashed
 *   replica never returned stops counting by itself.
 *
 * Proof of admission: hand the ticket back through `settle` exactly once.
 */
import type { KeyPolicy } from "../config/schema.js";

export type LimitName = "requests-per-minute" | "tokens-per-minute" | "daily-budget" | "monthly-budget" | "concurrent-streams";

export interface LimitCheck {
  keyId: string;
  policy: KeyPolicy;
  /** Tokens to reserve (already capped at the policy's tokens per minute). */
  tokens: number;
  /** A stream's lease id; undefined for a unary call. */
  streamLease?: string;
  /** When the stream's lease lapses on its own (ms since the epoch). */
  leaseUntil: number;
}

export interface LimitTicket {
  keyId: string;
  bucket: number;
  tokens: number;
  streamLease?: string;
  /** Where the call was counted: the shared Redis, or this replica's memory. */
  counted: "shared" | "local";
}

export type Admission = { admitted: true; ticket: LimitTicket } | { admitted: false; limit: LimitName; retryAfterMs: number };

/** What a call really used, as far as known. */
export interface Settlement {
  /** Input + output tokens; undefined keeps the reservation (usage unknown is never zero). */
  tokens?: number;
  costMicroUsd?: number;
}

export interface CallerLimiter {
  admit(check: LimitCheck): Promise<Admission>;
  /** Returns the stream lease and replaces the reservation by the real usage; never waits. */
  settle(ticket: LimitTicket, used: Settlement): void;
  close(): Promise<void>;
}

export const BUCKET_MS = 1_000;
export const WINDOW_BUCKETS = 60;

/** Whether a policy limits anything the limiter counts. */
export function hasLimits(policy: KeyPolicy): boolean {
  return (
    policy.requestsPerMinute !== undefined ||
    policy.tokensPerMinute !== undefined ||
    policy.dailyBudgetUsd !== undefined ||
    policy.monthlyBudgetUsd !== undefined ||
    policy.maxConcurrentStreams !== undefined
  );
}

/** "2026-05-14" and "2026-05" in UTC, and the ms until each ends (a budget's retry hint). */
export function budgetPeriods(at: number): { day: string; month: string; dayEndsInMs: number; monthEndsInMs: number } {
  const date = new Date(at);
  const day = date.toISOString().slice(0, 10);
  const nextDay = Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), date.getUTCDate() + 1);
  const nextMonth = Date.UTC(date.getUTCFullYear(), date.getUTCMonth() + 1, 1);
  return { day, month: day.slice(0, 7), dayEndsInMs: nextDay - at, monthEndsInMs: nextMonth - at };
}

export const usdToMicro = (usd: number | undefined): number => (usd === undefined ? 0 : Math.round(usd * 1_000_000));

/** A human description of a limit, for QuotaFailure. */
export function describeLimit(limit: LimitName, policy: KeyPolicy): string {
  switch (limit) {
    case "requests-per-minute":
      return `requests per minute (${policy.requestsPerMinute})`;
    case "tokens-per-minute":
      return `tokens per minute (${policy.tokensPerMinute})`;
    case "daily-budget":
      return `daily budget (${policy.dailyBudgetUsd} USD)`;
    case "monthly-budget":
      return `monthly budget (${policy.monthlyBudgetUsd} USD)`;
    case "concurrent-streams":
      return `concurrent streams (${policy.maxConcurrentStreams})`;
  }
}
