/**
 * The routing strategies: each orders the eligible deployments of ONE tier (tiers themselves always
 * stay in the order written). Pure functions of the candidates, the health snapshot and the random
 * source.
 */
import type { RoutingStrategy } from "../gateway/types.js";
import type { RouteDeployment } from "./route-table.js";
import { healthOf, type HealthSnapshot } from "./health-snapshot.js";

export interface TierCandidate {
  deployment: RouteDeployment;
  /** Estimated cost in nano-USD; undefined when unpriced. */
  estimatedCostNanoUsd?: number;
}

export interface OrderContext {
  strategy: RoutingStrategy;
  mode: "complete" | "stream";
  health: HealthSnapshot;
  random: () => number;
  /** Alias weights override deployment weights. */
  weights?: Record<string, number>;
  latencySloMs?: number;
}

/** Share of requests on which the latency strategy tries a random sampled deployment first. */
export const EXPLORATION_RATE = 0.05;

/** Stable sort by cost, unpriced last. */
function byCost<T extends TierCandidate>(candidates: T[]): T[] {
  return [...candidates].sort((a, b) => {
    if (a.estimatedCostNanoUsd === undefined) return b.estimatedCostNanoUsd === undefined ? 0 : 1;
    if (b.estimatedCostNanoUsd === undefined) return -1;
    return a.estimatedCostNanoUsd - b.estimatedCostNanoUsd;
  });
}

/** Streams are judged by time to first token, unary calls by total latency. */
function latencyOf(context: OrderContext, name: string): { ewmaMs?: number; p95Ms?: number; samples: number } {
  const health = healthOf(context.health, name);
  return context.mode === "stream" ? health.timeToFirstToken : health.latency;
}

/**
 * Lowest EWMA first. Deployments with no samples go first (in tier order) so they get measured; on
 * ~5 % of requests a random sampled deployment is moved to the front so stale numbers refresh.
 */
function byLatency<T extends TierCandidate>(candidates: T[], context: OrderContext): T[] {
  const unsampled = candidates.filter((c) => latencyOf(context, c.deployment.name).samples === 0);
  const sampled = candidates
    .filter((c) => latencyOf(context, c.deployment.name).samples > 0)
    .sort(
      (a, b) =>
        (latencyOf(context, a.deployment.name).ewmaMs ?? 0) - (latencyOf(context, b.deployment.name).ewmaMs ?? 0),
    );
  if (sampled.length > 1 && context.random() < EXPLORATION_RATE) {
    const [explored] = sampled.splice(Math.floor(context.random() * sampled.length), 1);
    sampled.unshift(explored);
  }
  return [...unsampled, ...sampled];
}

/**
 * Weighted random order without replacement (each pick proportional to weight among those left), so
 * the first choice follows the weights exactly (canary splits such as 1/99) and fallbacks stay
 * weighted. Zero-weight deployments come last, in tier order.
 */
function byWeight<T extends TierCandidate>(candidates: T[], context: OrderContext): T[] {
  const weightOf = (c: T): number => context.weights?.[c.deployment.name] ?? c.deployment.weight;
  const pool = candidates.filter((c) => weightOf(c) > 0);
  const zero = candidates.filter((c) => weightOf(c) <= 0);
  const ordered: T[] = [];
  while (pool.length > 0) {
    const total = pool.reduce((sum, c) => sum + weightOf(c), 0);
    let pick = context.random() * total;
    let index = 0;
    for (; index < pool.length - 1; index += 1) {
      pick -= weightOf(pool[index]);
      if (pick < 0) break;
    }
    ordered.push(...pool.splice(index, 1));
  }
  return [...ordered, ...zero];
}

/** Fewest in flight first; ties broken at random so idle deployments share the load. */
function byInFlight<T extends TierCandidate>(candidates: T[], context: OrderContext): T[] {
  const shuffled = [...candidates];
  for (let index = shuffled.length - 1; index > 0; index -= 1) {
    const other = Math.floor(context.random() * (index + 1));
    [shuffled[index], shuffled[other]] = [shuffled[other], shuffled[index]];
  }
  const inFlight = (c: T): number => healthOf(context.health, c.deployment.name).inFlight;
  return shuffled.sort((a, b) => inFlight(a) - inFlight(b));
}

/**
 * Cheapest deployment whose recent p95 (TTFT for streams, total latency for unary) meets the SLO;
 * then deployments with no samples yet (cheapest first: they may meet it and need measuring); then
 * the ones that miss it, lowest p95 first — so when none meets the SLO the fastest goes first.
 * Without an SLO this is the cost strategy.
 */
function byCostUnderSlo<T extends TierCandidate>(candidates: T[], context: OrderContext): T[] {
  const slo = context.latencySloMs;
  if (slo === undefined) return byCost(candidates);
  const p95 = (c: T): number | undefined => latencyOf(context, c.deployment.name).p95Ms;
  const meets = candidates.filter((c) => (p95(c) ?? Number.POSITIVE_INFINITY) <= slo);
  const unknown = candidates.filter((c) => p95(c) === undefined);
  const misses = candidates
    .filter((c) => {
      const value = p95(c);
      return value !== undefined && value > slo;
    })
    .sort((a, b) => (p95(a) ?? 0) - (p95(b) ?? 0));
  return [...byCost(meets), ...byCost(unknown), ...misses];
}

/**
 * Whether ordering by `strategy` reads latency or in-flight stats. The others read only breaker states,
 * so planning for them skips four store reads per candidate (on Redis, four round trips).
 */
export function strategyReadsStats(strategy: RoutingStrategy): boolean {
  return strategy === "latency" || strategy === "least-busy" || strategy === "cost-under-latency-slo";
}

/** Orders one tier's candidates by the strategy. */
export function orderTier<T extends TierCandidate>(candidates: T[], context: OrderContext): T[] {
  switch (context.strategy) {
    case "priority":
      return [...candidates];
    case "cost":
      return byCost(candidates);
    case "latency":
      return byLatency(candidates, context);
    case "weighted":
      return byWeight(candidates, context);
    case "least-busy":
      return byInFlight(candidates, context);
    case "cost-under-latency-slo":
      return byCostUnderSlo(candidates, context);
  }
}
