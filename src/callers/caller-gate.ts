/**
 * The one door every call passes, whichever edge it came through (the Connect interceptors, the
 * OpenAI-compatible HTTP edge): authenticate the key, check the model is allowed, admit the call against
 * the key's limits and budgets, and settle what it used when it ends.
 */
import { randomUUID } from "node:crypto";
import { GatewayError } from "../gateway/gateway-error.js";
import type { AuthenticatedCaller, CallerAuthenticator } from "./caller-authenticator.js";
import type { CallOutcome } from "../gateway/request-scope.js";
import type { Usage } from "../providers/spec.js";
import { describeLimit, hasLimits, type CallerLimiter, type Settlement } from "./caller-limiter.js";

/** What the gate needs to know about a call before it runs. */
export interface CallToAdmit {
  model: string;
  /** Estimated input tokens. */
  inputTokens: number;
  /** The request's output cap; the config's `defaultOutputTokens` when absent. */
  maxOutputTokens?: number;
  stream: boolean;
  /** The call's deadline (ms since the epoch): a stream's lease lapses then at the latest. */
  deadlineAt: number;
}

/** An admitted call. Settle it exactly once when it ends; a second call does nothing. */
export interface CallPass {
  settle(used: Settlement): void;
}

export interface CallerGate {
  readonly authenticator: CallerAuthenticator;
  /** See `CallerAuthenticator.authenticate`. */
  authenticate(authorization: string | null | undefined): Promise<AuthenticatedCaller | undefined>;
  /** PERMISSION_DENIED for a model the key may not call; RATE_LIMITED / COST_LIMIT_EXCEEDED over a limit. */
  admit(caller: AuthenticatedCaller, call: CallToAdmit): Promise<CallPass>;
  close(): Promise<void>;
}

const noPass: CallPass = { settle() {} };

/** The tokens a call used, when the vendor said; undefined keeps the reservation. */
export function usedTokens(usage: Usage | undefined): number | undefined {
  if (usage === undefined || (usage.inputTokens === undefined && usage.outputTokens === undefined)) return undefined;
  return (usage.inputTokens ?? 0) + (usage.outputTokens ?? 0);
}

/**
 * What a finished call used, for its caller's limits, whichever edge served it: the failure's usage
 * and cost, or the answer's; nothing for an answer served again (a replay, a cache hit), which was
 * billed once already.
 */
export function settlementOf(outcome: CallOutcome, error: unknown): Settlement {
  if (error instanceof GatewayError) return { tokens: usedTokens(error.failure?.usage), costMicroUsd: error.failure?.costMicroUsd };
  const source = outcome.route?.source;
  if (source !== undefined && source !== "upstream") return { tokens: 0, costMicroUsd: 0 };
  return { tokens: usedTokens(outcome.usage), costMicroUsd: outcome.costMicroUsd };
}

export function createCallerGate(authenticator: CallerAuthenticator, limiter: CallerLimiter): CallerGate {
  return {
    authenticator,
    authenticate: (authorization) => authenticator.authenticate(authorization),
    async admit(caller, call) {
      authenticator.authorize(caller, call.model);
      const { policy } = caller;
      if (!hasLimits(policy)) return noPass;
      const wanted = call.inputTokens + (call.maxOutputTokens ?? authenticator.defaultOutputTokens());
      // A reservation above the limit could never be admitted (LiteLLM's first-call refusals): cap it.
      const tokens = Math.max(1, Math.min(wanted, policy.tokensPerMinute ?? wanted));
      const admission = await limiter.admit({
        keyId: caller.keyId,
        policy,
        tokens,
        streamLease: call.stream ? randomUUID() : undefined,
        leaseUntil: call.deadlineAt,
      });
      if (!admission.admitted) {
        const budget = admission.limit === "daily-budget" || admission.limit === "monthly-budget";
        throw new GatewayError(budget ? "COST_LIMIT_EXCEEDED" : "RATE_LIMITED", `over this key's ${describeLimit(admission.limit, policy)}`, {
          retryAfterMs: admission.retryAfterMs,
          quotaViolations: [{ subject: `key:${caller.keyId}`, description: describeLimit(admission.limit, policy) }],
          metadata: { limit: admission.limit },
        });
      }
      let settled = false;
      return {
        settle(used) {
          if (settled) return;
          settled = true;
          limiter.settle(admission.ticket, used);
        },
      };
    },
    close: async () => {
      await limiter.close();
      await authenticator.store.close();
    },
  };
}
