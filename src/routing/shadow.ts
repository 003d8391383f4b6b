/**
 * Shadow traffic: for an alias's `shadow.share` of requests, the same request also goes to the shadow
 * deployment in the background, after the primary has started. The primary is never delayed or
 * changed — the shadow has its own AbortController and its own timeout (the shadow deployment's
 * total timeout), ignores the caller's deadline and cancel, and only its comparison with the primary
 * (latency, cost, output length, exact and normalised text agreement) is recorded, in stats and in
 * one log line. Shadow calls never touch breakers. `close()` aborts the ones still running.
 */
import type { Logger } from "pino";
import type { GatewayRequest } from "../gateway/types.js";
import type { ProviderAdapter } from "../providers/spec.js";
import { computeCostNanoUsd, nanoToMicroUsd } from "../cost/compute-cost.js";
import type { Clock } from "../resilience/clock.js";
import type { DeploymentStats } from "../stats/deployment-stats.js";
import { compareTexts } from "../stats/text-agreement.js";
import { computeAttemptTimeouts } from "./attempt-timeouts.js";
import { buildModelCall } from "./build-model-call.js";
import type { Plan } from "./plan.js";
import type { RouteTable } from "./route-table.js";

/** What the primary produced, for the comparison; undefined when the primary failed. */
export interface PrimaryOutcome {
  text: string;
  latencyMs: number;
  costMicroUsd?: number;
}

export interface ShadowHandle {
  /** Hands over the primary's outcome (first call wins). */
  primaryFinished(primary: PrimaryOutcome | undefined): void;
}

export interface ShadowRunner {
  /** Starts a shadow call if the alias has one and the dice say so; call after the primary started. */
  start(plan: Plan, request: GatewayRequest): ShadowHandle | undefined;
  /** Shadow comparisons not finished yet. */
  pending(): number;
  /** Waits for running comparisons to finish (tests, graceful shutdown). */
  drain(): Promise<void>;
  /** Aborts running shadow calls and waits for them. */
  close(): Promise<void>;
}

export interface ShadowRunnerOptions {
  routes: RouteTable;
  adapters: ReadonlyMap<string, ProviderAdapter>;
  clock: Clock;
  random: () => number;
  logger: Logger;
  stats: DeploymentStats;
}

type ShadowOutcome =
  | { ok: true; text: string; latencyMs: number; costNanoUsd?: number }
  | { ok: false; latencyMs: number; kind: string };

const noop = (): void => undefined;

/** Rejects with the signal's reason when it aborts: a shadow ends on time even if its adapter ignores the signal. */
function whenAborted(signal: AbortSignal): Promise<never> {
  return new Promise((_, reject) => signal.addEventListener("abort", () => reject(signal.reason), { once: true }));
}

export function createShadowRunner(options: ShadowRunnerOptions): ShadowRunner {
  const { routes, adapters, clock, logger, stats } = options;
  const running = new Set<Promise<void>>();
  const controllers = new Set<AbortController>();

  return {
    start(plan, request) {
      const config = plan.alias?.shadow;
      if (config === undefined || config.share <= 0) return undefined;
      if (options.random() >= config.share) return undefined;
      const deployment = routes.deployments.get(config.deployment);
      const adapter = deployment === undefined ? undefined : adapters.get(deployment.provider);
      if (deployment === undefined || adapter === undefined || deployment.disabled !== undefined) {
        logger.debug({ shadow: config.deployment }, "shadow deployment not usable; skipped");
        return undefined;
      }
      const startedAt = clock.now();
      const totalMs = deployment.timeouts.totalMs;
      const controller = new AbortController();
      const timer = new AbortController();
      controllers.add(controller);
      clock.sleep(totalMs, timer.signal).then(() => controller.abort(new Error("shadow timeout")), noop);

      const shadowCall = (async (): Promise<ShadowOutcome> => {
        const call = buildModelCall(request, deployment, computeAttemptTimeouts(deployment.timeouts, startedAt, startedAt + totalMs), []);
        try {
          const result = await Promise.race([adapter.complete(call, controller.signal), whenAborted(controller.signal)]);
          const costNanoUsd = computeCostNanoUsd(result.usage, deployment.price);
          stats.recordAttempt({
            deployment: deployment.name,
            outcome: "succeeded",
            latencyMs: clock.now() - startedAt,
            usage: result.usage,
            costNanoUsd,
            billed: true,
          });
          return { ok: true, text: result.text, latencyMs: clock.now() - startedAt, costNanoUsd };
        } catch (error) {
          const kind = error instanceof Error && "kind" in error ? String(error.kind) : "aborted";
          return { ok: false, latencyMs: clock.now() - startedAt, kind };
        } finally {
          timer.abort();
          controllers.delete(controller);
        }
      })();

      let resolvePrimary: (primary: PrimaryOutcome | undefined) => void = noop;
      const primary = new Promise<PrimaryOutcome | undefined>((resolve) => {
        resolvePrimary = resolve;
      });
      const comparison = Promise.all([shadowCall, primary])
        .then(async ([shadow, primaryOutcome]) => {
          const base = { requestId: request.requestId, model: request.model, shadow: deployment.name };
          if (!shadow.ok || primaryOutcome === undefined) {
            logger.info(
              { ...base, shadowOk: shadow.ok, primaryOk: primaryOutcome !== undefined, shadowLatencyMs: shadow.latencyMs },
              "shadow comparison skipped: one side failed",
            );
            return;
          }
          const agreement = compareTexts(primaryOutcome.text, shadow.text);
          stats.recordShadow({ deployment: deployment.name, agreed: agreement.normalized });
          logger.info(
            {
              ...base,
              primaryLatencyMs: primaryOutcome.latencyMs,
              shadowLatencyMs: shadow.latencyMs,
              primaryCostMicroUsd: primaryOutcome.costMicroUsd,
              shadowCostMicroUsd: shadow.costNanoUsd === undefined ? undefined : nanoToMicroUsd(shadow.costNanoUsd),
              primaryChars: primaryOutcome.text.length,
              shadowChars: shadow.text.length,
              exactMatch: agreement.exact,
              normalizedMatch: agreement.normalized,
            },
            "shadow comparison",
          );
        })
        .catch((error: unknown) => logger.warn({ err: error }, "shadow comparison failed"))
        .finally(() => running.delete(comparison));
      running.add(comparison);

      let handed = false;
      return {
        primaryFinished(outcome) {
          if (handed) return;
          handed = true;
          resolvePrimary(outcome);
        },
      };
    },
    pending: () => running.size,
    async drain() {
      while (running.size > 0) await Promise.all([...running]);
    },
    async close() {
      for (const controller of controllers) controller.abort(new Error("engine closing"));
      if (running.size > 0) await Promise.race([Promise.all([...running]), clock.sleep(1_000)]);
    },
  };
}
