/**
 * The impure edge of planning: checks the call is still wanted, counts input tokens (in slices that
 * let the event loop run, given up when the caller goes), reads a health snapshot of the deployments
 * the model could route to, then calls the pure `plan()`.
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

/** CANCELED or DEADLINE_EXCEEDED when the caller no longer waits for the answer, else undefined. */
function callerGone(runtime: EngineRuntime, context: CallContext): GatewayError | undefined {
  const deadline = runtime.clock.now() >= context.deadlineAt;
  if (!deadline && !context.signal.aborted) return undefined;
  return new GatewayError(
    deadline ? "DEADLINE_EXCEEDED" : "CANCELED",
    deadline ? "The deadline passed before an attempt started." : "The request was canceled.",
  );
}

/** Plans `request`, or throws CANCELED / DEADLINE_EXCEEDED / a planning GatewayError. */
export async function preparePlan(
  runtime: EngineRuntime,
  request: GatewayRequest,
  context: CallContext,
  mode: "complete" | "stream",
): Promise<Plan> {
  const gone = callerGone(runtime, context);
  if (gone !== undefined) throw gone;
  const resolved = resolveModel(request.model, runtime.routes);
  const names = [...resolved.tiers.flat(), ...runtime.routes.defaultChain];
  const health = await readHealthSnapshot(runtime, names, strategyReadsStats(strategyFor(request, resolved.alias)));
  const budgets = inputBudgets(names, runtime.routes, request);
  let inputTokens: number;
  try {
    inputTokens = await countRequestTokens(request, { budgets: budgets.all, exactAbove: budgets.tightest, stopAbove: budgets.largest, signal: context.signal });
  } catch (error) {
    throw callerGone(runtime, context) ?? error;
  }
  return plan({ request, mode, routes: runtime.routes, health, random: runtime.random, inputTokens });
}

/**
 * Every candidate's input budget (window minus the requested output tokens), the smallest and the
 * largest. Below the tightest no window can be exceeded; above the largest every window is.
 */
function inputBudgets(names: readonly string[], routes: RouteTable, request: GatewayRequest): { all: number[]; tightest: number; largest: number } {
  const windows = names.map((name) => routes.deployments.get(name)?.contextWindow ?? routes.defaultContextWindow);
  if (windows.length === 0) windows.push(routes.defaultContextWindow);
  const output = request.sampling.maxOutputTokens ?? 0;
  const all = windows.map((window) => window - output);
  return { all, tightest: Math.min(...all), largest: Math.max(...all) };
}
