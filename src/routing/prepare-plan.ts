/**
 * The impure edge of planning: checks the call is still wanted, counts input tokens, reads a health
 * snapshot of the deployments the model could route to, then calls the pure `plan()`.
 */
import { GatewayError, type CallContext, type GatewayRequest } from "../gateway/types.js";
import type { EngineRuntime } from "./engine-runtime.js";
import { countRequestTokens } from "./estimate-input-tokens.js";
import { UNKNOWN_HEALTH, type DeploymentHealth, type HealthSnapshot } from "./health-snapshot.js";
import { strategyReadsStats } from "./order-tier.js";
import { plan, strategyFor, type Plan } from "./plan.js";
import { resolveModel } from "./resolve-model.js";
import type { RouteTable } from "./route-table.js";

/**
 * Reads breaker state and, when `withStats`, stats for `names` into a snapshot taken at `now`. Without
 * stats each deployment carries UNKNOWN_HEALTH's (no samples, idle): only strategies that never read
 * them ask for that.
 */
export async function readHealthSnapshot(runtime: EngineRuntime, names: Iterable<string>, withStats = true): Promise<HealthSnapshot> {
  const deployments = new Map<string, DeploymentHealth>();
  await Promise.all(
    [...new Set(names)].map(async (name) => {
      if (!withStats) {
        deployments.set(name, { ...UNKNOWN_HEALTH, breaker: await runtime.breakerFor(name).view() });
        return;
      }
      const [breaker, health] = await Promise.all([runtime.breakerFor(name).view(), runtime.stats.health(name)]);
      deployments.set(name, { breaker, ...health });
    }),
  );
  return { now: runtime.clock.now(), deployments };
}

/** Plans `request`, or throws CANCELED / DEADLINE_EXCEEDED / a planning GatewayError. */
export async function preparePlan(
  runtime: EngineRuntime,
  request: GatewayRequest,
  context: CallContext,
  mode: "complete" | "stream",
): Promise<Plan> {
  if (context.signal.aborted || runtime.clock.now() >= context.deadlineAt) {
    const deadline = runtime.clock.now() >= context.deadlineAt;
    throw new GatewayError(
      deadline ? "DEADLINE_EXCEEDED" : "CANCELED",
      deadline ? "The deadline passed before routing started." : "The request was canceled.",
    );
  }
  const resolved = resolveModel(request.model, runtime.routes);
  const names = [...resolved.tiers.flat(), ...runtime.routes.defaultChain];
  const health = await readHealthSnapshot(runtime, names, strategyReadsStats(strategyFor(request, resolved.alias)));
  return plan({
    request,
    mode,
    routes: runtime.routes,
    health,
    random: runtime.random,
    inputTokens: await countRequestTokens(request, tightestWindow(names, runtime.routes, request)),
  });
}

/** The smallest input budget among the candidates: window minus the requested output tokens. */
function tightestWindow(names: readonly string[], routes: RouteTable, request: GatewayRequest): number {
  let tightest = Number.POSITIVE_INFINITY;
  for (const name of names) {
    const window = routes.deployments.get(name)?.contextWindow ?? routes.defaultContextWindow;
    tightest = Math.min(tightest, window);
  }
  if (!Number.isFinite(tightest)) tightest = routes.defaultContextWindow;
  return tightest - (request.sampling.maxOutputTokens ?? 0);
}
