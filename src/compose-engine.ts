/**
 * The engine a gateway process serves, as layers around the routing engine, outermost first:
 *
 *   overload gate (calls wait while the loop falls behind) → traces (a span per request) → PII
 *   redaction → replay (duplicate request ids, resumes, exact cache) → engine holder (config reloads)
 *   → routing engine
 *
 * Redaction sits outside the replay layer, so runs, their fingerprints and the cache only ever see the
 * redacted request. Every layer reads the serving config through `current`, so a reload reaches them
 * all. The dashboard's recent fallbacks are made here and fed by the call recorder (from call records).
 */
import type { Logger } from "pino";
import { policyOfCaller } from "./callers/caller-authenticator.js";
import type { GatewayConfig } from "./config/schema.js";
import { createFallbackLog, type FallbackLog } from "./dashboard/fallback-log.js";
import { createEngineHolder, type EngineHolder } from "./gateway/engine-holder.js";
import { createOverloadGatedEngine, type OverloadGatedEngine } from "./gateway/overload-gated-engine.js";
import { createTracingEngine } from "./observability/tracing-engine.js";
import { createRedactingEngine } from "./redaction/redacting-engine.js";
import { createReplayLayer } from "./replay/create-replay-layer.js";
import type { ProcessStateStore } from "./state/create-state-store.js";

export interface ComposedEngine {
  /** What the server calls. */
  engine: OverloadGatedEngine;
  /** The routing engine of the serving config; `rebuild` replaces it. */
  engines: EngineHolder;
  fallbacks: FallbackLog;
  /** Builds the routing engine of `next` and swaps it in; running calls finish on the old one. */
  rebuild(next: GatewayConfig): Promise<void>;
}

export async function composeEngine(options: {
  /** The config at start. */
  config: GatewayConfig;
  /** The serving config (it changes with reloads). */
  current: () => GatewayConfig;
  state: ProcessStateStore;
  logger: Logger;
}): Promise<ComposedEngine> {
  const { config, current, state, logger } = options;
  const { createGatewayEngine } = await import("./routing/create-gateway-engine.js");
  // One store for every routing engine a reload builds, so breakers and stats survive reloads.
  const build = (next: GatewayConfig) => createGatewayEngine(next, { logger, store: state.store });
  // No call outlives the longest deadline: a replaced engine is closed by then even if a call leaked.
  const engines = createEngineHolder(await build(config), { logger, drainTimeoutMs: config.server.maxDeadlineMs + 10_000 });
  const fallbacks = createFallbackLog();
  const replaying = await createReplayLayer({ engine: engines, config, current, state, logger });
  const redacting = createRedactingEngine(replaying, {
    config: () => current().redaction,
    callerRedacts: (caller) => policyOfCaller(caller)?.redactPii === true,
  });
  const tracing = createTracingEngine(redacting, { providerKind: (name) => current().providers[name]?.kind });
  // Outermost: a call that waits for a slot has not started anything yet, not even its span.
  const engine = createOverloadGatedEngine(tracing, () => current().server.overload);
  return { engine, engines, fallbacks, rebuild: async (next) => engines.swap(await build(next)) };
}
