/**
 * Which attempt runs next for one request: the plan's attempts in order, or a retry of the same
 * deployment after back-off (decided by `failure-policy.ts`, paid from the retry budget), each
 * admitted by its deployment's breaker, within the attempt cap and the caller's deadline and cancel.
 *
 * Set aside rather than run: a deployment cooling down (`deployment-cooldowns.ts`), and a retry after
 * a vendor-named wait, which the policy keeps as a last resort. Once nothing else can serve, the
 * request waits for the earliest set-aside attempt if that fits the deadline. A deployment whose
 * breaker refuses admission is passed over for good: a breaker is there to fail fast, and its open
 * period is our guess, where a cooldown is the vendor's word. Order: retry after back-off, plan order
 * (cooling ones set aside), then the set-aside attempts, earliest first.
 */
import type { CallContext, ErrorReason, GatewayRequest } from "../gateway/types.js";
import { reasonForProviderError } from "../gateway/reason-for-provider-error.js";
import type { ProviderError } from "../providers/spec.js";
import { callerStop, type Admission, type Attempt, type AttemptFailure } from "./attempt.js";
import { cooldownsOf } from "./deployment-cooldowns.js";
import type { EngineRuntime } from "./engine-runtime.js";
import { cooldownAfterFailure, decideAfterFailure, RETRY_AFTER_SLEEP_CAP_MS } from "./failure-policy.js";
import type { Plan, PlannedAttempt } from "./plan.js";

/** Why the queue ran dry. */
export type StopCause =
  | { type: "exhausted" }
  | { type: "policy"; error: ProviderError }
  | { type: "deadline" }
  | { type: "canceled" };

/** A deployment the request did not call when it came up: its breaker was open, or it was cooling down. */
export interface PassedOver {
  deployment: string;
  why: "circuit-open" | "cooldown";
  /** A cooldown: the reason of the failure that started it. */
  reason?: ErrorReason;
  /** When it may serve again, if known. */
  retryAt?: number;
}

/** How the walk over the attempts ended, for the final error. */
export interface QueueEnding {
  stop: StopCause;
  /** Content already reached the client. */
  committed: boolean;
  /** Deployments passed over, the plan's open breakers included, in the order met. */
  passedOver: PassedOver[];
  /**
   * Until the earliest deployment passed over, set aside or cooled down by this request may serve
   * (vendor waits and breaker retry times still ahead); undefined when none is known.
   */
  retryAfterMs?: number;
}

/** How a failed attempt leaves the request. */
export interface FailureContext {
  /** Content already reached the client (a stream): only a continuation may follow. */
  committed: boolean;
  /** The next deployment with `assistantPrefix` may continue from the text already sent. */
  mayContinue: boolean;
}

/** An attempt that may run from `readyAt` on. */
interface SetAside {
  planned: PlannedAttempt;
  retry: number;
  readyAt: number;
  /** A retry whose budget is already paid. */
  paid?: boolean;
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
  const cooldowns = cooldownsOf(runtime);
  const remaining = [...plan.attempts];
  /** Attempts waiting for a cooldown to end, or kept as a last resort; taken once `remaining` is empty. */
  const setAside: SetAside[] = [];
  const passedOver: PassedOver[] = plan.excluded
    .filter((excluded) => excluded.why === "circuit-open")
    .map((excluded) => ({ deployment: excluded.deployment, why: "circuit-open", retryAt: excluded.retryAt }));
  const maxAttempts = Math.min(retryConfig.maxAttempts, request.fallback.maxAttempts ?? Number.POSITIVE_INFINITY);
  const allowContentFilterFallback = request.fallback.fallbackOnContentFilter ?? plan.alias?.fallbackOnContentFilter ?? false;
  /** When the cooldowns this request's failures started end. */
  const cooledUntil: number[] = [];
  let attemptsMade = 0;
  /** A retry after back-off (the vendor named no wait), ahead of the other deployments; budget paid. */
  let pendingRetry: SetAside | undefined;
  let stop: StopCause | undefined;
  let committed = false;

  runtime.budget.recordRequest();

  const keepOnly = (keep: (planned: PlannedAttempt) => boolean): void => {
    remaining.splice(0, remaining.length, ...remaining.filter(keep));
    setAside.splice(0, setAside.length, ...setAside.filter((waiting) => keep(waiting.planned)));
  };

  const stopNow = (): StopCause | undefined => {
    if (context.signal.aborted) return { type: callerStop(clock, context) };
    if (clock.now() >= context.deadlineAt) return { type: "deadline" };
    return attemptsMade >= maxAttempts ? { type: "exhausted" } : undefined;
  };

  const cooling = (planned: PlannedAttempt, now: number) => cooldowns.activeAt(planned.deployment.name, now);

  /** Sets `candidate` aside until its deployment's cooldown ends; false when it is not cooling down. */
  const setAsideIfCooling = (candidate: Omit<SetAside, "readyAt">): boolean => {
    const cooldown = cooling(candidate.planned, clock.now());
    if (cooldown === undefined) return false;
    setAside.push({ ...candidate, readyAt: cooldown.until });
    passedOver.push({ deployment: candidate.planned.deployment.name, why: "cooldown", reason: cooldown.reason, retryAt: cooldown.until });
    return true;
  };

  /** Removes and returns the set-aside attempt ready first (the earlier set aside on a tie). */
  const takeEarliestSetAside = (): SetAside | undefined => {
    let earliest = -1;
    for (let index = 0; index < setAside.length; index += 1) {
      if (earliest === -1 || setAside[index].readyAt < setAside[earliest].readyAt) earliest = index;
    }
    return earliest === -1 ? undefined : setAside.splice(earliest, 1)[0];
  };

  /** Sleeps until `at`; false when the caller stopped the request or its deadline came meanwhile. */
  const waitUntil = async (at: number): Promise<boolean> => {
    const waitMs = at - clock.now();
    try {
      if (waitMs > 0) await clock.sleep(waitMs, context.signal);
    } catch {
      stop = { type: callerStop(clock, context) };
      return false;
    }
    stop = stopNow();
    return stop === undefined;
  };

  /** The planned attempt to try next and its retry count; undefined once `stop` is set. */
  const upcoming = async (): Promise<{ planned: PlannedAttempt; retry: number } | undefined> => {
    for (;;) {
      stop ??= stopNow();
      if (stop !== undefined) return undefined;
      if (pendingRetry !== undefined) {
        const waiting = pendingRetry;
        pendingRetry = undefined;
        if (!(await waitUntil(waiting.readyAt))) return undefined;
        // Another request may have met a longer Retry-After meanwhile.
        if (!setAsideIfCooling(waiting)) return waiting;
        continue;
      }
      const planned = remaining.shift();
      if (planned !== undefined) {
        if (!setAsideIfCooling({ planned, retry: 0 })) return { planned, retry: 0 };
        continue;
      }
      // Nothing else can serve: wait for the earliest set-aside attempt, if the wait fits.
      const waiting = takeEarliestSetAside();
      const waitMs = waiting === undefined ? 0 : waiting.readyAt - clock.now();
      if (waiting === undefined || waiting.readyAt >= context.deadlineAt || waitMs > RETRY_AFTER_SLEEP_CAP_MS) {
        if (waiting !== undefined) setAside.push(waiting);
        stop = { type: "exhausted" };
        return undefined;
      }
      if (!(await waitUntil(waiting.readyAt))) return undefined;
      if (setAsideIfCooling(waiting)) continue;
      // A retry kept as a last resort is paid from the budget only now that it runs.
      if (waiting.retry > 0 && waiting.paid !== true && !runtime.budget.tryAcquireRetry()) continue;
      return waiting;
    }
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
          return { planned: candidate.planned, retry: candidate.retry, permit };
        }
        const { retryAt } = await breaker.view();
        passedOver.push({ deployment: candidate.planned.deployment.name, why: "circuit-open", retryAt });
      }
    },

    failed(attempt, failure, failureContext) {
      if (failureContext.committed) committed = true;
      // Nothing was sent: the next deployment (another pool, maybe) may have room. Not the vendor's
      // doing, so no cooldown and no retry of the same deployment, whose pool is as full as it was.
      if (failure.type === "busy") return;
      if (failure.type !== "provider") {
        stop = { type: failure.type };
        return;
      }
      const error = failure.error;
      const now = clock.now();
      const cooldownMs = cooldownAfterFailure(error, retryConfig);
      if (cooldownMs !== undefined) {
        cooldowns.coolDown(attempt.deployment.name, { until: now + cooldownMs, reason: reasonForProviderError(error.kind) }, now);
        cooledUntil.push(now + cooldownMs);
      }
      const decision = decideAfterFailure({
        error,
        retriesOnDeployment: attempt.retry,
        maxRetriesPerDeployment: committed ? 0 : retryConfig.maxRetriesPerDeployment,
        backoff: retryConfig,
        random: runtime.random,
        now,
        deadlineAt: context.deadlineAt,
        contextWindow: attempt.deployment.contextWindow,
        allowContentFilterFallback,
      });
      if (decision.action === "stop") {
        stop = { type: "policy", error };
        return;
      }
      if (decision.action === "retry" && runtime.budget.tryAcquireRetry()) {
        pendingRetry = { planned: attempt.planned, retry: attempt.retry + 1, readyAt: now + decision.delayMs, paid: true };
        return;
      }
      if (decision.action === "next" && decision.lastResort !== undefined) {
        setAside.push({ planned: attempt.planned, retry: attempt.retry + 1, readyAt: now + decision.lastResort.delayMs });
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
        if (remaining.length === 0 && setAside.length === 0) stop = { type: "policy", error };
      }
    },

    ending() {
      const now = clock.now();
      const times = [
        ...setAside.map((waiting) => waiting.readyAt),
        ...passedOver.map((passed) => passed.retryAt),
        ...cooledUntil,
      ].filter((time): time is number => time !== undefined && time > now);
      return {
        stop: stop ?? { type: "exhausted" },
        committed,
        passedOver,
        retryAfterMs: times.length === 0 ? undefined : Math.min(...times) - now,
      };
    },
  };
}
