/**
 * Walks a plan's attempts for one request: hands out one attempt at a time (with its own
 * AbortController, timeouts cut to the deadline, and a breaker permit), records how each ended
 * (attempt record, breaker, stats, cost), and decides what comes next (same-deployment retry after
 * back-off, next deployment, or stop) from `failure-policy.ts`. Unary and stream execution share it;
 * they differ only in how they run one attempt.
 */
import type { AttemptOutcome, CallContext, ErrorReason, FailureSummary, GatewayRequest, RouteRecord } from "../gateway/types.js";
import type { GatewayError } from "../gateway/types.js";
import { ProviderError, type Usage } from "../providers/spec.js";
import { reasonForProviderError } from "../gateway/reason-for-provider-error.js";
import { computeCostNanoUsd, nanoToMicroUsd } from "../cost/compute-cost.js";
import type { BreakerPermit } from "../resilience/circuit-breaker.js";
import { AttemptAbort } from "./attempt-abort.js";
import { callerAbortCause, closeAttemptSlot, openAttemptSlot, type AttemptSlot, type SlotState } from "./attempt-slot.js";
import type { EngineRuntime } from "./engine-runtime.js";
import { decideAfterFailure } from "./failure-policy.js";
import { buildFinalError, type AttemptFailure, type StopCause } from "./final-error.js";
import type { Plan, PlannedAttempt } from "./plan.js";
import type { RouteDeployment } from "./route-table.js";

export type { AttemptSlot } from "./attempt-slot.js";
import { sumUsage } from "./sum-usage.js";

export type { AttemptFailure } from "./final-error.js";

interface AttemptBill {
  usage?: Usage;
  costNanoUsd?: number;
}

export interface FailOptions {
  timeToFirstTokenMs?: number;
  committed?: boolean;
  interrupted?: boolean;
  allowContinuation?: boolean;
}

export interface AttemptWalker {
  readonly plan: Plan;
  /** The next attempt to run, or undefined when the request is over (then throw `finalError`). */
  next(): Promise<AttemptSlot | undefined>;
  /** What an error thrown while running `slot` means. */
  classify(slot: AttemptSlot, error: unknown): AttemptFailure;
  /** Records a success. `usage` is the attempt's reported usage. */
  succeeded(slot: AttemptSlot, result: { usage: Usage; timeToFirstTokenMs?: number; vendorModel?: string }): Promise<void>;
  /**
   * Records a failure and decides what comes next. `committed`: content already reached the client
   * (a stream), so only a continuation may follow, and only when `allowContinuation` (default: the
   * request's `continueOnInterruption`). `interrupted`: this attempt itself had sent content.
   */
  failed(slot: AttemptSlot, failure: AttemptFailure, options?: FailOptions): Promise<void>;
  /** Frees the slot (timers, listeners, in-flight); records it as canceled if nothing was recorded. */
  release(slot: AttemptSlot): Promise<void>;
  /** Reason of the failure that ended the last attempt (for fallback notices). */
  lastReason(): ErrorReason | undefined;
  /** Usage of the attempts that served content (the success, plus an interrupted one it continued). */
  servedUsage(): Usage;
  /** Cost over every billed attempt; undefined if any billed attempt has no cost. */
  costMicroUsd(): number | undefined;
  route(): RouteRecord;
  /** The error to throw when `next()` returned undefined. */
  finalError(): GatewayError;
}

export interface WalkerOptions {
  runtime: EngineRuntime;
  request: GatewayRequest;
  context: CallContext;
  plan: Plan;
  /** Stream continuation after a mid-stream failure is allowed. */
  continueOnInterruption: boolean;
}

/**
 * The reason every released attempt is aborted with, made once: an Error captures a stack trace when it is
 * built, and building one per call was the engine's single biggest cost (12 % of an in-process stream's
 * CPU: `npx tsx bench/in-process.ts`). Nothing reads its stack: after release nobody waits
 * on the attempt, the abort only closes what the adapter still holds open.
 */
const released = new AttemptAbort("canceled");

/** Creates the walker for one request. */
export function createAttemptWalker(options: WalkerOptions): AttemptWalker {
  const { runtime, request, context, plan } = options;
  const { clock, retry: retryConfig } = runtime;
  const remaining = [...plan.attempts];
  const records: RouteRecord["attempts"] = [];
  const bills: AttemptBill[] = [];
  const served: Usage[] = [];
  const skippedOpen: string[] = [];
  let earliestRetryAt: number | undefined;
  const maxAttempts = Math.min(retryConfig.maxAttempts, request.fallback.maxAttempts ?? Number.POSITIVE_INFINITY);
  const allowContentFilterFallback =
    request.fallback.fallbackOnContentFilter ?? plan.alias?.fallbackOnContentFilter ?? false;

  let attemptsMade = 0;
  let pendingRetry: { planned: PlannedAttempt; retry: number; delayMs: number } | undefined;
  let stop: StopCause | undefined;
  let lastFailure: AttemptFailure | undefined;
  let committed = false;
  let servingDeployment: RouteDeployment | undefined;
  let servingVendorModel: string | undefined;

  runtime.budget.recordRequest();

  const abortCause = (): "deadline" | "canceled" => callerAbortCause(clock, context);

  const startSlot = async (planned: PlannedAttempt, retry: number, permit: BreakerPermit): Promise<SlotState> => {
    const deployment = planned.deployment;
    const adapter = runtime.adapters.get(deployment.provider);
    if (adapter === undefined) throw new Error(`no adapter for provider ${deployment.provider}`);
    attemptsMade += 1;
    await runtime.stats.adjustInFlight(deployment.name, 1);
    return openAttemptSlot({ planned, adapter, retry, permit, clock, context });
  };

  const settle = async (state: SlotState): Promise<number> => {
    closeAttemptSlot(state);
    await runtime.stats.adjustInFlight(state.deployment.name, -1);
    return clock.now() - state.startedAt;
  };

  const record = async (
    state: SlotState,
    outcome: AttemptOutcome,
    details: { reason?: ErrorReason; usage?: Usage; billed: boolean; timeToFirstTokenMs?: number },
  ): Promise<void> => {
    const latencyMs = await settle(state);
    const costNanoUsd = details.billed ? computeCostNanoUsd(details.usage, state.deployment.price) : undefined;
    if (details.billed) bills.push({ usage: details.usage, costNanoUsd });
    records.push({
      deployment: state.deployment.name,
      provider: state.deployment.provider,
      outcome,
      reason: details.reason,
      latencyMs,
      timeToFirstTokenMs: details.timeToFirstTokenMs,
      usage: details.usage,
      costMicroUsd: costNanoUsd === undefined ? undefined : nanoToMicroUsd(costNanoUsd),
      retry: state.retry,
    });
    await runtime.stats.recordAttempt({
      deployment: state.deployment.name,
      outcome,
      latencyMs,
      timeToFirstTokenMs: details.timeToFirstTokenMs,
      usage: details.usage,
      costNanoUsd,
      billed: details.billed,
    });
  };

  const failureReason = (failure: AttemptFailure): ErrorReason =>
    failure.type === "provider"
      ? reasonForProviderError(failure.error.kind)
      : failure.type === "deadline"
        ? "DEADLINE_EXCEEDED"
        : "CANCELED";

  const summary = (): FailureSummary => {
    const usages = bills.map((b) => b.usage).filter((u): u is Usage => u !== undefined);
    const usage = sumUsage(usages);
    return {
      requestId: request.requestId,
      usage: usage === undefined ? undefined : { ...usage, partial: true },
      costMicroUsd: walker.costMicroUsd(),
      route: walker.route(),
    };
  };

  const walker: AttemptWalker = {
    plan,

    async next() {
      for (;;) {
        if (stop !== undefined) return undefined;
        if (context.signal.aborted) {
          stop = { type: abortCause() };
          return undefined;
        }
        if (clock.now() >= context.deadlineAt) {
          stop = { type: "deadline" };
          return undefined;
        }
        if (attemptsMade >= maxAttempts) {
          stop = { type: "exhausted" };
          return undefined;
        }
        let planned: PlannedAttempt;
        let retry = 0;
        if (pendingRetry !== undefined) {
          const waiting = pendingRetry;
          pendingRetry = undefined;
          try {
            await clock.sleep(waiting.delayMs, context.signal);
          } catch {
            stop = { type: abortCause() };
            return undefined;
          }
          if (clock.now() >= context.deadlineAt) continue;
          planned = waiting.planned;
          retry = waiting.retry;
        } else {
          const following = remaining.shift();
          if (following === undefined) {
            stop = { type: "exhausted" };
            return undefined;
          }
          planned = following;
        }
        const permit = await runtime.breakerFor(planned.deployment.name).acquire();
        if (permit === undefined) {
          skippedOpen.push(planned.deployment.name);
          const view = await runtime.breakerFor(planned.deployment.name).view();
          if (view.retryAt !== undefined && (earliestRetryAt === undefined || view.retryAt < earliestRetryAt)) {
            earliestRetryAt = view.retryAt;
          }
          continue;
        }
        return startSlot(planned, retry, permit);
      }
    },

    classify(slot, error) {
      const state = slot as SlotState;
      if (state.signal.aborted) {
        const reason: unknown = state.signal.reason;
        if (reason instanceof AttemptAbort) {
          if (reason.why === "attempt-timeout") {
            return {
              type: "provider",
              error: new ProviderError("timeout", `No ${reason.timeout ?? "response"} within the attempt's time limit.`),
            };
          }
          return { type: reason.why };
        }
        return { type: abortCause() };
      }
      if (error instanceof ProviderError) {
        if (error.kind === "canceled" && context.signal.aborted) return { type: abortCause() };
        return { type: "provider", error };
      }
      runtime.logger.error(
        { err: error, deployment: slot.deployment.name, requestId: request.requestId },
        "adapter threw something other than a ProviderError",
      );
      return {
        type: "provider",
        error: new ProviderError("malformed-response", "The provider adapter failed unexpectedly.", { cause: error }),
      };
    },

    async succeeded(slot, result) {
      const state = slot as SlotState;
      await record(state, "succeeded", {
        usage: result.usage,
        billed: true,
        timeToFirstTokenMs: result.timeToFirstTokenMs,
      });
      served.push(result.usage);
      servingDeployment = state.deployment;
      servingVendorModel = result.vendorModel ?? state.deployment.vendorModel;
      await runtime.breakerFor(state.deployment.name).onSuccess(state.permit);
    },

    async failed(slot, failure, failOptions = {}) {
      const state = slot as SlotState;
      lastFailure = failure;
      if (failOptions.committed === true) committed = true;
      const interrupted = failOptions.interrupted === true;
      const providerError = failure.type === "provider" ? failure.error : undefined;
      const usage = providerError?.usage;
      const outcome: AttemptOutcome = failure.type !== "provider" ? "canceled" : interrupted ? "interrupted" : "failed";
      await record(state, outcome, {
        reason: failureReason(failure),
        usage,
        // An interrupted attempt produced tokens: billed even when the vendor never said how many.
        billed: usage !== undefined || interrupted,
        timeToFirstTokenMs: failOptions.timeToFirstTokenMs,
      });
      if (interrupted) {
        served.push(usage ?? {});
        servingDeployment = state.deployment;
      }
      const breaker = runtime.breakerFor(state.deployment.name);
      if (providerError?.isProviderFault === true) await breaker.onFailure(state.permit);
      else await breaker.onIgnored(state.permit);

      if (failure.type !== "provider") {
        stop = { type: failure.type };
        return;
      }
      const error = failure.error;
      const decision = decideAfterFailure({
        error,
        retriesOnDeployment: state.retry,
        maxRetriesPerDeployment: committed ? 0 : retryConfig.maxRetriesPerDeployment,
        backoff: retryConfig,
        random: runtime.random,
        now: clock.now(),
        deadlineAt: context.deadlineAt,
        contextWindow: state.deployment.contextWindow,
        allowContentFilterFallback,
      });
      if (decision.action === "stop") {
        stop = { type: "policy", error };
        return;
      }
      if (decision.action === "retry" && runtime.budget.tryAcquireRetry()) {
        pendingRetry = { planned: state.planned, retry: state.retry + 1, delayMs: decision.delayMs };
        return;
      }
      if (committed) {
        if (!(failOptions.allowContinuation ?? options.continueOnInterruption)) {
          stop = { type: "exhausted" };
          return;
        }
        const keep = remaining.filter((p) => p.deployment.capabilities.assistantPrefix);
        remaining.splice(0, remaining.length, ...keep);
      }
      if (decision.action === "next" && decision.minContextWindow !== undefined) {
        const minimum = decision.minContextWindow;
        const keep = remaining.filter((p) => p.deployment.contextWindow >= minimum);
        remaining.splice(0, remaining.length, ...keep);
        if (remaining.length === 0) stop = { type: "policy", error };
      }
    },

    async release(slot) {
      const state = slot as SlotState;
      if (!state.latch.aborted) state.abort(released);
      if (state.settled) return;
      await record(state, "canceled", { reason: "CANCELED", billed: false });
      await runtime.breakerFor(state.deployment.name).onIgnored(state.permit);
    },

    lastReason() {
      return lastFailure === undefined ? undefined : failureReason(lastFailure);
    },

    servedUsage() {
      return sumUsage(served) ?? {};
    },

    costMicroUsd() {
      if (bills.length === 0) return undefined;
      let total = 0;
      for (const bill of bills) {
        if (bill.costNanoUsd === undefined) return undefined;
        total += bill.costNanoUsd;
      }
      return nanoToMicroUsd(total);
    },

    route() {
      return {
        requestedModel: plan.requestedModel,
        strategy: plan.strategy,
        deployment: servingDeployment?.name,
        provider: servingDeployment?.provider,
        vendorModel: servingVendorModel ?? servingDeployment?.vendorModel,
        attempts: [...records],
      };
    },

    finalError() {
      return buildFinalError({
        stop: stop ?? { type: "exhausted" },
        committed,
        lastFailure,
        attempts: records.length,
        failure: summary(),
        model: request.model,
        skippedOpen,
        retryAfterMs: earliestRetryAt === undefined ? undefined : Math.max(0, earliestRetryAt - clock.now()),
      });
    },
  };
  return walker;
}
