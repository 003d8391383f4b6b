/**
 * What to do after an upstream attempt fails, by error kind. A pure function so the rules can be read
 * (and tested) in one place:
 *
 * | kind                       | action                                                            |
 * |----------------------------|-------------------------------------------------------------------|
 * | rate-limited, unavailable, | retry the same deployment (≤ maxRetriesPerDeployment, full-jitter |
 * | malformed-response         | back-off, never sooner than Retry-After) when the wait fits the   |
 * |                            | deadline; otherwise the next deployment                          |
 * | timeout                    | the next deployment: a silent route is not retried (battery R6)  |
 * | context-length-exceeded    | the next deployment with a LARGER context window only            |
 * | content-filtered           | the next deployment if the alias/request allows it, else stop    |
 * | auth-failed                | the next deployment: a bad key is OUR configuration problem, not |
 * |                            | the caller's, so another provider may well serve the request;    |
 * |                            | the breaker counts it so a dead key stops being tried            |
 * | invalid-request            | stop: every deployment would reject it the same way             |
 * | canceled (adapter-side)    | the next deployment (the engine's own aborts never get here)     |
 *
 * A Retry-After above `RETRY_AFTER_SLEEP_CAP_MS` is a cooldown, not a wait: move on (battery R2).
 */
import type { ProviderError } from "../providers/spec.js";
import { computeBackoffMs, type BackoffPolicy } from "../resilience/backoff.js";

export const RETRY_AFTER_SLEEP_CAP_MS = 60_000;

export type FailureAction =
  | { action: "retry"; delayMs: number }
  | { action: "next"; minContextWindow?: number }
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
      return { action: "retry", delayMs };
    }
  }
}
