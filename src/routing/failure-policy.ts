/**
 * What to do after an upstream attempt fails, by error kind. A pure function so the rules can be read
 * (and tested) in one place:
 *
 * | kind                       | action                                                            |
 * |----------------------------|-------------------------------------------------------------------|
 * | rate-limited, unavailable, | retry the same deployment (≤ maxRetriesPerDeployment, full-jitter |
 * | malformed-response         | back-off, never sooner than Retry-After) when the wait fits the   |
 * |                            | deadline; otherwise the next deployment. With a Retry-After over  |
 * |                            | the base back-off: the next deployment at once, the retry kept as |
 * |                            | a last resort for when nothing else can serve                     |
 * | timeout                    | the next deployment: a silent route is not retried (battery R6)  |
 * | context-length-exceeded    | the next deployment with a LARGER context window only            |
 * | content-filtered           | the next deployment if the alias/request allows it, else stop    |
 * | auth-failed                | the next deployment: a bad key is OUR configuration problem, not |
 * |                            | the caller's, so another provider may well serve the request;    |
 * |                            | the breaker counts it so a dead key stops being tried            |
 * | invalid-request            | stop: every deployment would reject it the same way             |
 * | canceled (adapter-side)    | the next deployment (the engine's own aborts never get here)     |
 *
 * A Retry-After above `RETRY_AFTER_SLEEP_CAP_MS` is never slept through: move on (battery R2).
 * Whatever the action, a rate limit or an outage whose Retry-After is longer than the base back-off
 * also cools the deployment down for every request (`cooldownAfterFailure`), so the next request does
 * not pay for the same refusal. A shorter wait is one a retry sleeps through anyway (OpenAI's
 * `x-ratelimit-reset-requests: 6ms`): it changes nothing.
 */
import type { ProviderError } from "../providers/spec.js";
import { computeBackoffMs, type BackoffPolicy } from "../resilience/backoff.js";

/** The longest a request sleeps for a Retry-After (before a retry, or for a cooling deployment). */
export const RETRY_AFTER_SLEEP_CAP_MS = 60_000;

/**
 * The longest a Retry-After cools a deployment down: a vendor's "come back tomorrow" (or a broken
 * header) must not take a deployment out until a restart. The breaker's default `maxOpenMs`.
 */
export const MAX_COOLDOWN_MS = 120_000;

export type FailureAction =
  | { action: "retry"; delayMs: number }
  /** `lastResort`: retry this deployment after `delayMs` if nothing else has served by then. */
  | { action: "next"; minContextWindow?: number; lastResort?: { delayMs: number } }
  | { action: "stop" };

export interface FailurePolicyInput {
  error: ProviderError;
  /** Retries already made on this deployment. */
  retriesOnDeployment: number;
  maxRetriesPerDeployment: number;
  backoff: BackoffPolicy;
  random: () => number;
  now: number;
  deadlineAt: number;
  contextWindow: number;
  allowContentFilterFallback: boolean;
}

export function decideAfterFailure(input: FailurePolicyInput): FailureAction {
  const { error } = input;
  switch (error.kind) {
    case "invalid-request":
      return { action: "stop" };
    case "content-filtered":
      return input.allowContentFilterFallback ? { action: "next" } : { action: "stop" };
    case "context-length-exceeded":
      return { action: "next", minContextWindow: input.contextWindow + 1 };
    case "auth-failed":
    case "canceled":
    case "timeout":
      return { action: "next" };
    case "rate-limited":
    case "unavailable":
    case "malformed-response": {
      if (input.retriesOnDeployment >= input.maxRetriesPerDeployment) return { action: "next" };
      if ((error.retryAfterMs ?? 0) > RETRY_AFTER_SLEEP_CAP_MS) return { action: "next" };
      const delayMs = computeBackoffMs(input.backoff, input.retriesOnDeployment + 1, input.random, error.retryAfterMs);
      if (input.now + delayMs >= input.deadlineAt) return { action: "next" };
      // The vendor named a real wait: any other deployment answers sooner than sleeping through it.
      if (cooldownAfterFailure(error, input.backoff) !== undefined) return { action: "next", lastResort: { delayMs } };
      return { action: "retry", delayMs };
    }
  }
}

/**
 * How long every request should leave the failed deployment alone: the vendor's Retry-After on a rate
 * limit or an outage (capped at `MAX_COOLDOWN_MS`) when it is longer than the base back-off;
 * undefined for other failures, and for no wait or a shorter one.
 */
export function cooldownAfterFailure(error: ProviderError, backoff: BackoffPolicy): number | undefined {
  if (error.kind !== "rate-limited" && error.kind !== "unavailable") return undefined;
  const retryAfterMs = error.retryAfterMs ?? 0;
  return retryAfterMs > backoff.baseDelayMs ? Math.min(retryAfterMs, MAX_COOLDOWN_MS) : undefined;
}
