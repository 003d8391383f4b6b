/**
 * The GatewayError a request ends with when no attempt served it, chosen from why the walk stopped:
 * the caller's deadline or cancel first, then a stream interrupted after commit, then the last
 * provider failure (its reason, and its Retry-After when the vendor was rate limiting), or — when
 * every breaker turned us away before any attempt ran — NO_ELIGIBLE_DEPLOYMENT with the earliest
 * time a probe may go. Messages are ours; upstream text stays in logs.
 */
import { GatewayError, type FailureSummary } from "../gateway/types.js";
import type { ProviderError } from "../providers/spec.js";
import { reasonForProviderError } from "../gateway/reason-for-provider-error.js";

/** How an attempt ended badly, once classified. */
export type AttemptFailure =
  | { type: "provider"; error: ProviderError }
  | { type: "deadline" }
  | { type: "canceled" };

/** Why the walk over the attempts ended. */
export type StopCause =
  | { type: "exhausted" }
  | { type: "policy"; error: ProviderError }
  | { type: "deadline" }
  | { type: "canceled" };

export interface FinalErrorInput {
  stop: StopCause;
  /** Content already reached the client. */
  committed: boolean;
  lastFailure?: AttemptFailure;
  attempts: number;
  failure: FailureSummary;
  model: string;
  /** Deployments whose breakers refused admission. */
  skippedOpen: string[];
  /** Until the earliest of those breakers admits a probe. */
  retryAfterMs?: number;
}

export function buildFinalError(input: FinalErrorInput): GatewayError {
  const { stop, failure, model } = input;
  if (stop.type === "deadline") {
    return new GatewayError("DEADLINE_EXCEEDED", `The deadline passed after ${input.attempts} attempt(s).`, { failure });
  }
  if (stop.type === "canceled") {
    return new GatewayError("CANCELED", "The request was canceled.", { failure });
  }
  if (input.committed) {
    return new GatewayError(
      "PROVIDER_STREAM_INTERRUPTED",
      "The provider's stream failed after content had been sent; the answer is incomplete.",
      { failure },
    );
  }
  const last =
    stop.type === "policy" ? stop.error : input.lastFailure?.type === "provider" ? input.lastFailure.error : undefined;
  if (last === undefined) {
    return new GatewayError(
      "NO_ELIGIBLE_DEPLOYMENT",
      `Every deployment for model "${model}" is temporarily unavailable (circuit open).`,
      {
        failure,
        retryAfterMs: input.retryAfterMs,
        metadata: { model, cause: "circuit-open", deployments: input.skippedOpen.join(",") },
      },
    );
  }
  return new GatewayError(reasonForProviderError(last.kind), `${last.message} (after ${input.attempts} attempt(s))`, {
    failure,
    retryAfterMs: last.kind === "rate-limited" ? last.retryAfterMs : undefined,
    metadata: { model },
  });
}
