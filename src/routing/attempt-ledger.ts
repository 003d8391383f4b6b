/**
 * One request's books: opens every attempt and closes it with exactly one record (route record,
 * stats, in-flight count, breaker hand-back, bill), and reads from them the route, the usage served,
 * the cost and, when no attempt served, the error the request ends with.
 */
import type { AttemptOutcome, CallContext, ErrorReason, FailureSummary, GatewayRequest, RouteRecord } from "../gateway/types.js";
import { GatewayError } from "../gateway/types.js";
import { reasonForProviderError } from "../gateway/reason-for-provider-error.js";
import type { Usage } from "../providers/spec.js";
import { computeCostNanoUsd, nanoToMicroUsd } from "../cost/compute-cost.js";
import { Attempt, failureReason, type Admission, type AttemptFailure } from "./attempt.js";
import type { QueueEnding } from "./attempt-queue.js";
import type { EngineRuntime } from "./engine-runtime.js";
import type { Plan } from "./plan.js";
import type { RouteDeployment } from "./route-table.js";
import { sumUsage } from "./sum-usage.js";

export interface AttemptLedger {
  /** Starts `admission` as an attempt and counts it in flight. */
  open(admission: Admission): Promise<Attempt>;
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
   * after commit, then the last provider failure (its reason, and its Retry-After when the vendor was
   * rate limiting), or, when every breaker turned us away, NO_ELIGIBLE_DEPLOYMENT with the earliest
   * time a probe may go. Messages are ours; upstream text stays in logs.
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

  const record = async (
    attempt: Attempt,
    outcome: AttemptOutcome,
    details: { reason?: ErrorReason; usage?: Usage; billed: boolean; timeToFirstTokenMs?: number },
  ): Promise<void> => {
    const { deployment } = attempt;
    const { reason, usage, billed, timeToFirstTokenMs } = details;
    attempt.close(outcome === "succeeded");
    await stats.adjustInFlight(deployment.name, -1);
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
    await stats.recordAttempt({ deployment: deployment.name, outcome, latencyMs, timeToFirstTokenMs, usage, costNanoUsd, billed });
  };

  const ledger: AttemptLedger = {
    async open(admission) {
      const deployment = admission.planned.deployment;
      const adapter = runtime.adapters.get(deployment.provider);
      if (adapter === undefined) throw new Error(`no adapter for provider ${deployment.provider}`);
      await stats.adjustInFlight(deployment.name, 1);
      return new Attempt(admission, adapter, clock, context);
    },

    async succeeded(attempt, result) {
      await record(attempt, "succeeded", { usage: result.usage, billed: true, timeToFirstTokenMs: attempt.timeToFirstTokenMs });
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
      await record(attempt, failure.type !== "provider" ? "canceled" : interrupted ? "interrupted" : "failed", {
        reason: failureReason(failure),
        usage,
        // An interrupted attempt produced tokens: billed even when the vendor never said how many.
        billed: usage !== undefined || interrupted,
        timeToFirstTokenMs: attempt.timeToFirstTokenMs,
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
      await record(attempt, "canceled", { reason: "CANCELED", billed: false });
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

    finalError({ stop, committed, skippedOpen, retryAfterMs }) {
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
      const last = stop.type === "policy" ? stop.error : lastFailure?.type === "provider" ? lastFailure.error : undefined;
      if (last === undefined) {
        return new GatewayError("NO_ELIGIBLE_DEPLOYMENT", `Every deployment for model "${model}" is temporarily unavailable (circuit open).`, {
          failure,
          retryAfterMs,
          metadata: { model, cause: "circuit-open", deployments: skippedOpen.join(",") },
        });
      }
      return new GatewayError(reasonForProviderError(last.kind), `${last.message} (after ${attempts} attempt(s))`, {
        failure,
        retryAfterMs: last.kind === "rate-limited" ? last.retryAfterMs : undefined,
        metadata: { model },
      });
    },
  };
  return ledger;
}
