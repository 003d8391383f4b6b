/**
 * One request's books: opens every attempt and closes it with exactly one record (route record,
 * stats, in-flight count, breaker hand-back, bill), and reads from them the route, the usage served,
 * the cost and, when no attempt served, the error the request ends with. The route record says what the
 * caller waited (wall time from the attempt's start); the deployment's stats say what the vendor took, so
 * time spent waiting for one of our connections is left out of them, and an attempt shed before it was
 * sent (`busy`) is not in them at all.
 */
import type { AttemptOutcome, CallContext, ErrorReason, FailureSummary, GatewayRequest, RouteRecord } from "../gateway/types.js";
import { GatewayError } from "../gateway/types.js";
import { reasonForProviderError } from "../gateway/reason-for-provider-error.js";
import type { Usage } from "../providers/spec.js";
import { computeCostNanoUsd, nanoToMicroUsd } from "../cost/compute-cost.js";
import { endAttemptSpan } from "../observability/attempt-span.js";
import { Attempt, failureReason, type Admission, type AttemptFailure } from "./attempt.js";
import type { PassedOver, QueueEnding } from "./attempt-queue.js";
import type { EngineRuntime } from "./engine-runtime.js";
import { temporarilyUnavailable, type Plan } from "./plan.js";
import type { RouteDeployment } from "./route-table.js";
import { sumUsage } from "./sum-usage.js";

export interface AttemptLedger {
  /** Starts `admission` as an attempt and counts it in flight. */
  open(admission: Admission): Attempt;
  succeeded(attempt: Attempt, result: { usage: Usage; vendorModel?: string }): Promise<void>;
  /** Records a failure. An attempt that had sent content is `interrupted`, and billed even without usage. */
  failed(attempt: Attempt, failure: AttemptFailure): Promise<void>;
  /** Closes `attempt`; records it as canceled if nothing was recorded (the client stopped reading). */
  release(attempt: Attempt): Promise<void>;
  /** Reason of the last failure (for fallback notices). */
  lastReason(): ErrorReason | undefined;
  /** Usage of the attempts that served content (the success, plus an interrupted one it continued). */
  servedUsage(): Usage;
  /** Cost over every billed attempt; undefined if any billed attempt has no cost. */
  costMicroUsd(): number | undefined;
  route(): RouteRecord;
  /**
   * The error when no attempt served: the caller's deadline or cancel first, then a stream interrupted
   * after commit, then the last provider failure (its reason, and the wait until the earliest
   * deployment passed over or cooled down may serve, else its Retry-After when it was a rate limit).
   * With no attempt made, every deployment was passed over: all cooling down, the reason of the
   * cooldown that ends first; any open breaker among them, NO_ELIGIBLE_DEPLOYMENT marked
   * `only_breakers` (UNAVAILABLE at the edge); either way with the wait until the earliest may serve.
   * Messages are ours; upstream text stays in logs.
   */
  finalError(ending: QueueEnding): GatewayError;
}

interface Bill {
  usage?: Usage;
  costNanoUsd?: number;
}

export function createAttemptLedger(runtime: EngineRuntime, request: GatewayRequest, context: CallContext, plan: Plan): AttemptLedger {
  const { clock, stats } = runtime;
  const records: RouteRecord["attempts"] = [];
  const bills: Bill[] = [];
  const served: Usage[] = [];
  let lastFailure: AttemptFailure | undefined;
  let serving: RouteDeployment | undefined;
  let servingVendorModel: string | undefined;

  const record = (
    attempt: Attempt,
    outcome: AttemptOutcome,
    details: { reason?: ErrorReason; usage?: Usage; billed: boolean; timeToFirstTokenMs?: number; sent?: boolean },
  ): void => {
    const { deployment } = attempt;
    const { reason, usage, billed, timeToFirstTokenMs } = details;
    attempt.close(outcome === "succeeded");
    endAttemptSpan(attempt.span, { outcome, reason, timeToFirstTokenMs, usage, waitedForConnectionMs: attempt.waitedForConnectionMs });
    stats.adjustInFlight(deployment.name, -1);
    const latencyMs = clock.now() - attempt.startedAt;
    const costNanoUsd = billed ? computeCostNanoUsd(usage, deployment.price) : undefined;
    if (billed) bills.push({ usage, costNanoUsd });
    records.push({
      deployment: deployment.name,
      provider: deployment.provider,
      outcome,
      reason,
      latencyMs,
      timeToFirstTokenMs,
      usage,
      costMicroUsd: costNanoUsd === undefined ? undefined : nanoToMicroUsd(costNanoUsd),
      retry: attempt.retry,
    });
    if (details.sent === false) return;
    const waitedMs = attempt.waitedForConnectionMs;
    stats.recordAttempt({
      deployment: deployment.name,
      outcome,
      latencyMs: latencyMs - waitedMs,
      timeToFirstTokenMs: timeToFirstTokenMs === undefined ? undefined : timeToFirstTokenMs - waitedMs,
      usage,
      costNanoUsd,
      billed,
    });
  };

  const ledger: AttemptLedger = {
    open(admission) {
      const deployment = admission.planned.deployment;
      const adapter = runtime.adapters.get(deployment.provider);
      if (adapter === undefined) throw new Error(`no adapter for provider ${deployment.provider}`);
      stats.adjustInFlight(deployment.name, 1);
      return new Attempt(admission, adapter, clock, context);
    },

    async succeeded(attempt, result) {
      record(attempt, "succeeded", { usage: result.usage, billed: true, timeToFirstTokenMs: attempt.timeToFirstTokenMs });
      served.push(result.usage);
      serving = attempt.deployment;
      servingVendorModel = result.vendorModel ?? attempt.deployment.vendorModel;
      await runtime.breakerFor(attempt.deployment.name).onSuccess(attempt.permit);
    },

    async failed(attempt, failure) {
      lastFailure = failure;
      const interrupted = attempt.timeToFirstTokenMs !== undefined;
      const providerError = failure.type === "provider" ? failure.error : undefined;
      const usage = providerError?.usage;
      const outcome = failure.type === "provider" ? (interrupted ? "interrupted" : "failed") : failure.type === "busy" ? "failed" : "canceled";
      record(attempt, outcome, {
        reason: failureReason(failure),
        usage,
        // An interrupted attempt produced tokens: billed even when the vendor never said how many.
        billed: usage !== undefined || interrupted,
        timeToFirstTokenMs: attempt.timeToFirstTokenMs,
        sent: failure.type !== "busy",
      });
      if (interrupted) {
        served.push(usage ?? {});
        serving = attempt.deployment;
      }
      const breaker = runtime.breakerFor(attempt.deployment.name);
      if (providerError?.isProviderFault === true) await breaker.onFailure(attempt.permit);
      else await breaker.onIgnored(attempt.permit);
    },

    async release(attempt) {
      if (attempt.closed) return;
      record(attempt, "canceled", { reason: "CANCELED", billed: false });
      await runtime.breakerFor(attempt.deployment.name).onIgnored(attempt.permit);
    },

    lastReason: () => (lastFailure === undefined ? undefined : failureReason(lastFailure)),

    servedUsage: () => sumUsage(served) ?? {},

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
        deployment: serving?.name,
        provider: serving?.provider,
        vendorModel: servingVendorModel ?? serving?.vendorModel,
        attempts: [...records],
      };
    },

    finalError({ stop, committed, passedOver, retryAfterMs }) {
      const usage = sumUsage(bills.map((b) => b.usage).filter((u): u is Usage => u !== undefined));
      const failure: FailureSummary = {
        requestId: request.requestId,
        usage: usage === undefined ? undefined : { ...usage, partial: true },
        costMicroUsd: ledger.costMicroUsd(),
        route: ledger.route(),
      };
      const attempts = records.length;
      const model = request.model;
      if (stop.type === "deadline") {
        return new GatewayError("DEADLINE_EXCEEDED", `The deadline passed after ${attempts} attempt(s).`, { failure });
      }
      if (stop.type === "canceled") return new GatewayError("CANCELED", "The request was canceled.", { failure });
      if (committed) {
        return new GatewayError(
          "PROVIDER_STREAM_INTERRUPTED",
          "The provider's stream failed after content had been sent; the answer is incomplete.",
          { failure },
        );
      }
      if (stop.type !== "policy" && lastFailure?.type === "busy") {
        return new GatewayError("RATE_LIMITED", `The gateway's connections to the provider are all busy (after ${attempts} attempt(s)).`, {
          failure,
          retryAfterMs,
          metadata: { model, cause: "connections_busy" },
        });
      }
      const last = stop.type === "policy" ? stop.error : lastFailure?.type === "provider" ? lastFailure.error : undefined;
      if (last === undefined) return passedOverError(model, passedOver, retryAfterMs, failure);
      return new GatewayError(reasonForProviderError(last.kind), `${last.message} (after ${attempts} attempt(s))`, {
        failure,
        // The vendor's own word on this request's last refusal comes first; else when the earliest may serve.
        retryAfterMs: (last.kind === "rate-limited" ? last.retryAfterMs : undefined) ?? retryAfterMs,
        metadata: { model },
      });
    },
  };
  return ledger;
}

/** The error of a request that called no deployment: each one was cooling down or had its breaker open. */
function passedOverError(model: string, passedOver: PassedOver[], retryAfterMs: number | undefined, failure: FailureSummary): GatewayError {
  const cooling = passedOver.filter((passed) => passed.why === "cooldown");
  if (cooling.length === 0 || cooling.length < passedOver.length) return temporarilyUnavailable(model, passedOver, retryAfterMs, failure);
  const firstToEnd = cooling.reduce((first, passed) => ((passed.retryAt ?? 0) < (first.retryAt ?? 0) ? passed : first));
  const message = `Every deployment for model "${model}" is cooling down at its provider's request.`;
  return new GatewayError(firstToEnd.reason ?? "PROVIDER_RATE_LIMITED", message, {
    failure,
    retryAfterMs,
    metadata: { model, cause: "cooldown", deployments: [...new Set(cooling.map((passed) => passed.deployment))].join(",") },
  });
}
