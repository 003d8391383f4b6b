/**
 * Per-deployment statistics: attempts, failures, recent error rate, latency and TTFT percentiles and
 * EWMA, in-flight, tokens, cost, unpriced attempts and shadow agreement. Kept in the `StateStore` so
 * replicas sharing a store share them, and read back both for `deploymentStats()` and for the health
 * snapshot the latency-aware strategies plan with — one source of truth.
 */
import type { Usage } from "../providers/spec.js";
import type { AttemptOutcome, DeploymentStatsView } from "../gateway/types.js";
import type { StateStore } from "../state/state-store.js";
import type { LatencySummary } from "./latency-window.js";

/** One finished upstream attempt, as stats record it. */
export interface AttemptSample {
  deployment: string;
  outcome: AttemptOutcome;
  latencyMs: number;
  timeToFirstTokenMs?: number;
  /** Usage the vendor reported (also for failed attempts it billed); undefined when none. */
  usage?: Usage;
  /** Undefined when the attempt was billed but its cost is unknown. */
  costNanoUsd?: number;
  /** The vendor reported usage for it: it costs money. */
  billed: boolean;
}

export interface ShadowSample {
  deployment: string;
  /** Normalised-text agreement with the primary answer. */
  agreed: boolean;
}

export interface DeploymentStats {
  /** Records in the background: returns at once. */
  recordAttempt(sample: AttemptSample): void;
  recordShadow(sample: ShadowSample): void;
  /** This replica's new in-flight count for `deployment`. */
  adjustInFlight(deployment: string, delta: number): number;
  /** Everything but the breaker, which the caller adds. */
  view(deployment: string): Promise<Omit<DeploymentStatsView, "breakerState" | "breakerRetryAtUnixMs">>;
  /** The health fields `plan()` reads. */
  health(deployment: string): Promise<{
    latency: LatencySummary;
    timeToFirstToken: LatencySummary;
    inFlight: number;
    errorRate: number;
  }>;
  /** Billed attempts without a cost, across all deployments. */
  unpricedAttempts(): Promise<number>;
  /**
   * Deletes everything kept for `deployment` (it is gone: an ad-hoc deployment evicted). The total
   * of unpriced attempts across deployments keeps what it counted.
   */
  forget(deployment: string): Promise<void>;
}

export interface DeploymentStatsOptions {
  store: StateStore;
  now: () => number;
  /** Window for the recent error rate (the breaker's window). */
  windowMs: number;
}

const key = {
  attempts: (d: string) => `stats:attempts:{${d}}`,
  failures: (d: string) => `stats:failures:{${d}}`,
  errors: (d: string) => `stats:errors:{${d}}`,
  latency: (d: string) => `stats:latency:{${d}}`,
  ttft: (d: string) => `stats:ttft:{${d}}`,
  inputTokens: (d: string) => `stats:input-tokens:{${d}}`,
  outputTokens: (d: string) => `stats:output-tokens:{${d}}`,
  costNano: (d: string) => `stats:cost-nano-usd:{${d}}`,
  unpriced: (d: string) => `stats:unpriced-attempts:{${d}}`,
  unpricedAll: "stats:unpriced-attempts",
  shadowComparisons: (d: string) => `stats:shadow-comparisons:{${d}}`,
  shadowAgreements: (d: string) => `stats:shadow-agreements:{${d}}`,
  inFlight: (d: string) => `stats:in-flight:{${d}}`,
};

/** Every key kept for one deployment. */
function deploymentKeys(d: string): string[] {
  return [
    key.attempts(d),
    key.failures(d),
    key.errors(d),
    key.latency(d),
    key.ttft(d),
    key.inputTokens(d),
    key.outputTokens(d),
    key.costNano(d),
    key.unpriced(d),
    key.shadowComparisons(d),
    key.shadowAgreements(d),
    key.inFlight(d),
  ];
}

/** Creates the stats recorder over a store. */
export function createDeploymentStats(options: DeploymentStatsOptions): DeploymentStats {
  const { store, windowMs } = options;
  const errorRate = async (deployment: string): Promise<number> => {
    const counts = await store.readOutcomes(key.errors(deployment), options.now(), windowMs);
    return counts.total === 0 ? 0 : counts.failures / counts.total;
  };
  return {
    recordAttempt(sample) {
      // Nothing here decides the answer, so nothing is awaited: with Redis the writes go out batched
      // after the answer (the error window's count is only read by `health`).
      const d = sample.deployment;
      store.addToCounter(key.attempts(d));
      const failed = sample.outcome === "failed" || sample.outcome === "interrupted";
      if (failed) store.addToCounter(key.failures(d));
      // Cancellations say nothing about the deployment: kept out of the error rate.
      if (sample.outcome !== "canceled") void store.recordOutcome(key.errors(d), options.now(), failed, windowMs);
      // Only successful attempts feed latency: a fast 503 must not make a deployment look fast.
      if (sample.outcome === "succeeded") store.recordLatency(key.latency(d), sample.latencyMs);
      if (sample.timeToFirstTokenMs !== undefined) store.recordLatency(key.ttft(d), sample.timeToFirstTokenMs);
      if (sample.usage?.inputTokens !== undefined) store.addToCounter(key.inputTokens(d), sample.usage.inputTokens);
      if (sample.usage?.outputTokens !== undefined) store.addToCounter(key.outputTokens(d), sample.usage.outputTokens);
      if (sample.billed) {
        if (sample.costNanoUsd === undefined) {
          store.addToCounter(key.unpriced(d));
          store.addToCounter(key.unpricedAll);
        } else {
          store.addToCounter(key.costNano(d), sample.costNanoUsd);
        }
      }
    },
    recordShadow(sample) {
      store.addToCounter(key.shadowComparisons(sample.deployment));
      store.addToCounter(key.shadowAgreements(sample.deployment), sample.agreed ? 1 : 0);
    },
    adjustInFlight(deployment, delta) {
      return store.adjustInFlight(key.inFlight(deployment), delta);
    },
    async view(deployment) {
      const [attempts, failures, recentErrorRate, inFlight, latency, ttft, input, output, costNano, unpriced, comparisons, agreements] =
        await Promise.all([
          store.readCounter(key.attempts(deployment)),
          store.readCounter(key.failures(deployment)),
          errorRate(deployment),
          store.readInFlight(key.inFlight(deployment)),
          store.readLatency(key.latency(deployment)),
          store.readLatency(key.ttft(deployment)),
          store.readCounter(key.inputTokens(deployment)),
          store.readCounter(key.outputTokens(deployment)),
          store.readCounter(key.costNano(deployment)),
          store.readCounter(key.unpriced(deployment)),
          store.readCounter(key.shadowComparisons(deployment)),
          store.readCounter(key.shadowAgreements(deployment)),
        ]);
      return {
        deployment,
        attempts,
        failures,
        recentErrorRate,
        inFlight,
        latency,
        timeToFirstToken: ttft,
        inputTokens: input,
        outputTokens: output,
        costMicroUsd: Math.round(costNano / 1_000),
        unpricedAttempts: unpriced,
        shadowComparisons: comparisons,
        shadowAgreement: comparisons === 0 ? undefined : agreements / comparisons,
      };
    },
    async health(deployment) {
      const [latency, timeToFirstToken, inFlight, rate] = await Promise.all([
        store.readLatency(key.latency(deployment)),
        store.readLatency(key.ttft(deployment)),
        store.readInFlight(key.inFlight(deployment)),
        errorRate(deployment),
      ]);
      return { latency, timeToFirstToken, inFlight, errorRate: rate };
    },
    unpricedAttempts() {
      return store.readCounter(key.unpricedAll);
    },
    forget(deployment) {
      return store.forget(deploymentKeys(deployment));
    },
  };
}
