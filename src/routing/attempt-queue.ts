/**
 * Which attempt runs next for one request: the plan's attempts in order, or a retry of the same
 * deployment after back-off (decided by `failure-policy.ts`, paid from the retry budget), each
 * admitted by its deployment's breaker, within the attempt cap and the caller's deadline and cancel.
 */
import type { CallContext, GatewayRequest } from "../gateway/types.js";
import type { ProviderError } from "../providers/spec.js";
import { callerStop, type Admission, type Attempt, type AttemptFailure } from "./attempt.js";
import type { EngineRuntime } from "./engine-runtime.js";
import { decideAfterFailure } from "./failure-policy.js";
import type { Plan, PlannedAttempt } from "./plan.js";

/** Why the queue ran dry. */
export type StopCause =
  | { type: "exhausted" }
  | { type: "policy"; error: ProviderError }
  | { type: "deadline" }
  | { type: "canceled" };

/** How the walk over the attempts ended, for the final error. */
export interface QueueEnding {
  stop: StopCause;
  /** Content already reached the client. */
  committed: boolean;
  /** Deployments whose breakers refused admission. */
  skippedOpen: string[];
  /** Until the earliest of those breakers admits a probe. */
  retryAfterMs?: number;
}

/** How a failed attempt leaves the request. */
export interface FailureContext {
  /** Content already reached the client (a stream): only a continuation may follow. */
  committed: boolean;
  /** The next deployment with `assistantPrefix` may continue from the text already sent. */
  mayContinue: boolean;
}

export interface AttemptQueue {
  /** The next admitted attempt, or undefined when the request is over (see `ending`). */
  next(): Promise<Admission | undefined>;
  /** Decides what follows a failed attempt: a retry after back-off, the next deployment, or stop. */
  failed(attempt: Attempt, failure: AttemptFailure, context: FailureContext): void;
  /** Why `next` returned undefined. */
  ending(): QueueEnding;
}

export function createAttemptQueue(runtime: EngineRuntime, request: GatewayRequest, context: CallContext, plan: Plan): AttemptQueue {
  const { clock, retry: retryConfig } = runtime;
  const remaining = [...plan.attempts];
  const skippedOpen: string[] = [];
  const maxAttempts = Math.min(retryConfig.maxAttempts, request.fallback.maxAttempts ?? Number.POSITIVE_INFINITY);
  const allowContentFilterFallback = request.fallback.fallbackOnContentFilter ?? plan.alias?.fallbackOnContentFilter ?? false;
  let earliestRetryAt: number | undefined;
  let attemptsMade = 0;
  let pendingRetry: { planned: PlannedAttempt; retry: number; delayMs: number } | undefined;
  let stop: StopCause | undefined;
  let committed = false;

  runtime.budget.recordRequest();

  const keepOnly = (keep: (planned: PlannedAttempt) => boolean): void => {
    remaining.splice(0, remaining.length, ...remaining.filter(keep));
  };

  const stopNow = (): StopCause | undefined => {
    if (context.signal.aborted) return { type: callerStop(clock, context) };
    if (clock.now() >= context.deadlineAt) return { type: "deadline" };
    return attemptsMade >= maxAttempts ? { type: "exhausted" } : undefined;
  };

  /** The planned attempt to try next and its retry count; undefined once `stop` is set. */
  const upcoming = async (): Promise<{ planned: PlannedAttempt; retry: number } | undefined> => {
    stop ??= stopNow();
    if (stop !== undefined) return undefined;
    if (pendingRetry === undefined) {
      const planned = remaining.shift();
      if (planned === undefined) stop = { type: "exhausted" };
      return planned === undefined ? undefined : { planned, retry: 0 };
    }
    const waiting = pendingRetry;
    pendingRetry = undefined;
    try {
      await clock.sleep(waiting.delayMs, context.signal);
    } catch {
      stop = { type: callerStop(clock, context) };
      return undefined;
    }
    if (clock.now() < context.deadlineAt) return { planned: waiting.planned, retry: waiting.retry };
    stop = stopNow();
    return undefined;
  };

  return {
    async next() {
      for (;;) {
        const candidate = await upcoming();
        if (candidate === undefined) return undefined;
        const breaker = runtime.breakerFor(candidate.planned.deployment.name);
        const permit = await breaker.acquire();
        if (permit !== undefined) {
          attemptsMade += 1;
          return { ...candidate, permit };
        }
        skippedOpen.push(candidate.planned.deployment.name);
        const { retryAt } = await breaker.view();
        if (retryAt !== undefined && (earliestRetryAt === undefined || retryAt < earliestRetryAt)) earliestRetryAt = retryAt;
      }
    },

    failed(attempt, failure, failureContext) {
      if (failureContext.committed) committed = true;
      if (failure.type !== "provider") {
        stop = { type: failure.type };
        return;
      }
      const error = failure.error;
      const decision = decideAfterFailure({
        error,
        retriesOnDeployment: attempt.retry,
        maxRetriesPerDeployment: committed ? 0 : retryConfig.maxRetriesPerDeployment,
        backoff: retryConfig,
        random: runtime.random,
        now: clock.now(),
        deadlineAt: context.deadlineAt,
        contextWindow: attempt.deployment.contextWindow,
        allowContentFilterFallback,
      });
      if (decision.action === "stop") {
        stop = { type: "policy", error };
        return;
      }
      if (decision.action === "retry" && runtime.budget.tryAcquireRetry()) {
        pendingRetry = { planned: attempt.planned, retry: attempt.retry + 1, delayMs: decision.delayMs };
        return;
      }
      if (committed) {
        if (!failureContext.mayContinue) {
          stop = { type: "exhausted" };
          return;
        }
        keepOnly((planned) => planned.deployment.capabilities.assistantPrefix);
      }
      if (decision.action === "next" && decision.minContextWindow !== undefined) {
        const minimum = decision.minContextWindow;
        keepOnly((planned) => planned.deployment.contextWindow >= minimum);
        if (remaining.length === 0) stop = { type: "policy", error };
      }
    },

    ending: () => ({
      stop: stop ?? { type: "exhausted" },
      committed,
      skippedOpen,
      retryAfterMs: earliestRetryAt === undefined ? undefined : Math.max(0, earliestRetryAt - clock.now()),
    }),
  };
}
