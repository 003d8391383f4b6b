/**
 * The replay layer a gateway process puts around its engine: runs in Redis when the config has a
 * `redis` section (so any replica can join or resume them), in this replica's memory otherwise.
 */
import type { Logger } from "pino";
import type { GatewayConfig } from "../config/schema.js";
import type { CompletionEngine } from "../gateway/types.js";
import type { ProcessStateStore } from "../state/create-state-store.js";
import { createMemoryRunLog } from "./memory-run-log.js";
import { createReplayingEngine } from "./replaying-engine.js";
import type { RunLog } from "./run-log.js";

export async function createReplayLayer(options: {
  engine: CompletionEngine;
  /** The config at start: where runs live is fixed until a restart. */
  config: GatewayConfig;
  /** The config now (reloads change TTLs and cache settings for the next call). */
  current: () => GatewayConfig;
  state: ProcessStateStore;
  logger: Logger;
}): Promise<CompletionEngine> {
  const { config, state, logger } = options;
  const replay = config.replay;
  let log: RunLog;
  if (state.redis !== undefined && config.redis !== undefined) {
    const { createRedisRunLog } = await import("./redis-run-log.js");
    log = createRedisRunLog({
      commands: state.redis.commands,
      subscriber: state.redis.subscriber,
      keyPrefix: config.redis.keyPrefix,
      commandTimeoutMs: config.redis.commandTimeoutMs,
      maxRuns: replay.maxRuns,
      maxEvents: replay.maxEvents,
      leaseMs: replay.leaseMs,
      logger,
      availability: state.availability,
    });
  } else {
    log = createMemoryRunLog({ maxRuns: replay.maxRuns, maxEvents: replay.maxEvents });
  }
  return createReplayingEngine(options.engine, { log, config: () => options.current().replay, store: state.store, logger });
}
