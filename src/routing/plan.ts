/**
 * `plan()`: a PURE function from (request, route table, health snapshot, random source, input-token
 * count) to the ordered list of deployments to try, plus the ones filtered out and why. No I/O, no
 * clock reads: the snapshot carries `now`. Execution (retries, back-off, deadlines) is `execute-*.ts`.
 *
 * Order: the alias's tiers as written, each ordered by the strategy; then `routing.defaultChain`.
 * Filters: disabled provider, context window, capabilities, cost cap, open breaker.
 */
import { GatewayError, type FailureSummary, type GatewayRequest, type RoutingStrategy } from "../gateway/types.js";
import { estimateInputTokensFor } from "./estimate-input-tokens.js";
import { healthOf, type HealthSnapshot } from "./health-snapshot.js";
import { orderTier, type TierCandidate } from "./order-tier.js";
import { resolveModel } from "./resolve-model.js";
import type { RouteAlias, RouteDeployment, RouteTable } from "./route-table.js";

/**
 * Output tokens assumed for a cost estimate when neither the request nor the deployment caps them.
 * An estimate only: the real cost is computed from reported usage afterwards.
 */
export const DEFAULT_OUTPUT_TOKENS_FOR_ESTIMATE = 1_024;

export type ExclusionReason =
  | "unknown-deployment"
  | "disabled"
  | "context-window"
  | "capability"
  | "cost-cap"
  | "circuit-open";

export interface Exclusion {
  deployment: string;
  why: ExclusionReason;
  detail: string;
  /** circuit-open: when the breaker lets probes through. */
  retryAt?: number;
}

export interface PlannedAttempt extends TierCandidate {
  /** 0-based tier; the default chain is the last tier. */
  tier: number;
  /** Input tokens as this deployment's tokenizer would roughly count them. */
  estimatedInputTokens: number;
}

export interface Plan {
  requestedModel: string;
  strategy: RoutingStrategy;
  alias?: RouteAlias;
  latencySloMs?: number;
  attempts: PlannedAttempt[];
  excluded: Exclusion[];
}

export interface PlanInput {
  request: GatewayRequest;
  /** Streams are routed on time to first token, unary calls on total latency. */
  mode: "complete" | "stream";
  routes: RouteTable;
  health: HealthSnapshot;
  random: () => number;
  /** The o200k_base count of the request's input (`countRequestTokens`). */
  inputTokens: number;
}

/** Capabilities the request needs that `deployment` lacks. */
function missingCapabilities(request: GatewayRequest, deployment: RouteDeployment): string[] {
  const missing: string[] = [];
  if (request.tools.length > 0 && !deployment.capabilities.tools) missing.push("tools");
  const hasImage = request.messages.some((m) => m.parts.some((p) => p.type === "image"));
  if (hasImage && !deployment.capabilities.images) missing.push("images");
  if (request.responseFormat?.type === "json-schema" && !deployment.capabilities.jsonSchema) missing.push("json-schema");
  return missing;
}

/** input estimate × input price + max output × output price; undefined when unpriced. */
export function estimateCostNanoUsd(
  deployment: RouteDeployment,
  estimatedInputTokens: number,
  maxOutputTokens: number | undefined,
): number | undefined {
  if (deployment.price === undefined) return undefined;
  const output = maxOutputTokens ?? deployment.maxOutputTokens ?? DEFAULT_OUTPUT_TOKENS_FOR_ESTIMATE;
  return estimatedInputTokens * deployment.price.inputNanoUsd + output * deployment.price.outputNanoUsd;
}

function summarize(excluded: Exclusion[]): string {
  const counts = new Map<ExclusionReason, number>();
  for (const e of excluded) counts.set(e.why, (counts.get(e.why) ?? 0) + 1);
  const words: Record<ExclusionReason, string> = {
    "unknown-deployment": "not configured",
    disabled: "disabled",
    "context-window": "too small a context window",
    capability: "missing a required capability",
    "cost-cap": "over the cost cap",
    "circuit-open": "circuit open",
  };
  return [...counts].map(([why, n]) => `${n} ${words[why]}`).join(", ");
}

/**
 * NO_ELIGIBLE_DEPLOYMENT when only open breakers (or cooldowns, see `deployment-cooldowns.ts`) stand in
 * the way. Worth retrying, so it carries `only_breakers` (the Connect edge's `onlyBreakersMetadataKey`),
 * which makes it UNAVAILABLE as errors.proto promises, and the wait until the earliest may serve.
 */
export function temporarilyUnavailable(
  model: string,
  passedOver: readonly { deployment: string; why: "circuit-open" | "cooldown" }[],
  retryAfterMs: number | undefined,
  failure?: FailureSummary,
): GatewayError {
  const cooling = passedOver.some((p) => p.why === "cooldown");
  return new GatewayError(
    "NO_ELIGIBLE_DEPLOYMENT",
    `Every deployment for model "${model}" is temporarily unavailable (${cooling ? "circuit open or cooling down" : "circuit open"}).`,
    {
      failure,
      retryAfterMs,
      metadata: {
        model,
        cause: cooling ? "circuit-open,cooldown" : "circuit-open",
        only_breakers: "true",
        deployments: [...new Set(passedOver.map((p) => p.deployment))].join(","),
      },
    },
  );
}

function noneEligible(model: string, excluded: Exclusion[], now: number): GatewayError {
  if (excluded.length > 0 && excluded.every((e) => e.why === "circuit-open")) {
    const earliest = Math.min(...excluded.map((e) => e.retryAt ?? now));
    const passedOver = excluded.map((e) => ({ deployment: e.deployment, why: "circuit-open" as const }));
    return temporarilyUnavailable(model, passedOver, Math.max(0, earliest - now));
  }
  if (excluded.length > 0 && excluded.every((e) => e.why === "context-window")) {
    return new GatewayError(
      "CONTEXT_WINDOW_EXCEEDED",
      `The request is larger than the context window of every deployment for model "${model}".`,
      { metadata: { model } },
    );
  }
  return new GatewayError(
    "NO_ELIGIBLE_DEPLOYMENT",
    `No deployment can serve model "${model}" (${summarize(excluded) || "none configured"}).`,
    { metadata: { model } },
  );
}

/** The strategy a request is routed by: its own, else its alias's, else priority order. */
export function strategyFor(request: GatewayRequest, alias: RouteAlias | undefined): RoutingStrategy {
  return request.routing.strategy ?? alias?.strategy ?? "priority";
}

/** Plans one request. Throws GatewayError UNKNOWN_MODEL, NO_ELIGIBLE_DEPLOYMENT or CONTEXT_WINDOW_EXCEEDED. */
export function plan(input: PlanInput): Plan {
  const { request, routes, health } = input;
  const resolved = resolveModel(request.model, routes);
  const alias = resolved.alias;
  const strategy = strategyFor(request, alias);
  const latencySloMs = request.routing.latencySloMs ?? alias?.latencySloMs;
  const maxOutput = request.sampling.maxOutputTokens;
  const costCapNano = request.routing.maxCostMicroUsd === undefined ? undefined : request.routing.maxCostMicroUsd * 1_000;

  const tiers = [...resolved.tiers];
  if (routes.defaultChain.length > 0) tiers.push([...routes.defaultChain]);

  const seen = new Set<string>();
  const excluded: Exclusion[] = [];
  const attempts: PlannedAttempt[] = [];

  tiers.forEach((tier, tierIndex) => {
    const eligible: PlannedAttempt[] = [];
    for (const name of tier) {
      if (seen.has(name)) continue;
      seen.add(name);
      const deployment = resolved.adHoc?.name === name ? resolved.adHoc : routes.deployments.get(name);
      if (deployment === undefined) {
        excluded.push({ deployment: name, why: "unknown-deployment", detail: "not in the config" });
        continue;
      }
      if (deployment.disabled !== undefined) {
        excluded.push({ deployment: name, why: "disabled", detail: deployment.disabled });
        continue;
      }
      const estimatedInputTokens = estimateInputTokensFor(input.inputTokens, deployment.providerKind, deployment.vendorModel);
      const needed = estimatedInputTokens + (maxOutput ?? 0);
      if (needed > deployment.contextWindow) {
        excluded.push({
          deployment: name,
          why: "context-window",
          detail: `~${needed} tokens needed, window ${deployment.contextWindow}`,
        });
        continue;
      }
      const missing = missingCapabilities(request, deployment);
      if (missing.length > 0) {
        excluded.push({ deployment: name, why: "capability", detail: `lacks ${missing.join(", ")}` });
        continue;
      }
      const estimatedCostNanoUsd = estimateCostNanoUsd(deployment, estimatedInputTokens, maxOutput);
      if (costCapNano !== undefined && (estimatedCostNanoUsd === undefined || estimatedCostNanoUsd > costCapNano)) {
        excluded.push({
          deployment: name,
          why: "cost-cap",
          detail: estimatedCostNanoUsd === undefined ? "unpriced: cannot prove it is under the cap" : `~${estimatedCostNanoUsd} nano-USD`,
        });
        continue;
      }
      const breaker = healthOf(health, name).breaker;
      if (breaker.state === "open" && (breaker.retryAt === undefined || breaker.retryAt > health.now)) {
        excluded.push({ deployment: name, why: "circuit-open", detail: "circuit open", retryAt: breaker.retryAt });
        continue;
      }
      eligible.push({ deployment, tier: tierIndex, estimatedInputTokens, estimatedCostNanoUsd });
    }
    attempts.push(
      ...orderTier(eligible, {
        strategy,
        mode: input.mode,
        health,
        random: input.random,
        weights: alias?.weights,
        latencySloMs,
      }),
    );
  });

  if (attempts.length === 0) throw noneEligible(request.model, excluded, health.now);
  return {
    requestedModel: request.model,
    strategy,
    alias,
    latencySloMs,
    attempts: request.fallback.disableFallback ? attempts.slice(0, 1) : attempts,
    excluded,
  };
}
