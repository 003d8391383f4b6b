/**
 * The caller gate a gateway process uses, from its config: keys and limits in Redis when the config has
 * a `redis` section (shared by every replica), otherwise keys in `auth.keyFile` and limits in memory.
 * Built whether or not `auth` is on, so a config reload can turn it on.
 */
import type { Logger } from "pino";
import type { AuthConfig, RedisConfig } from "../config/schema.js";
import { createCallerAuthenticator } from "./caller-authenticator.js";
import { createCallerGate, type CallerGate } from "./caller-gate.js";
import { createFileKeyStore } from "./file-key-store.js";
import { createEmptyKeyStore, type KeyStore } from "./key-store.js";
import { createMemoryCallerLimiter } from "./memory-caller-limiter.js";
import type { CallerLimiter } from "./caller-limiter.js";
import type { RedisAvailability } from "../state/redis-availability.js";

export interface CallerGateSetup {
  /** The serving config's `auth` section (it changes with reloads). */
  auth: () => AuthConfig | undefined;
  /** The key file named at start; a reload does not move the store. */
  keyFile?: string;
  /** With `availability`, the process's one view of whether Redis answers (state/redis-availability.ts). */
  redis?: { config: RedisConfig; availability?: RedisAvailability };
  logger: Logger;
}

export async function createCallerGateFromConfig(setup: CallerGateSetup): Promise<CallerGate> {
  let store: KeyStore;
  let limiter: CallerLimiter;
  let closeConnections = async (): Promise<void> => {};
  if (setup.redis !== undefined) {
    const { createRedisKeyStore } = await import("./redis-key-store.js");
    const { createRedisCallerLimiter } = await import("./redis-caller-limiter.js");
    const { config } = setup.redis;
    // Connections of their own: ioredis's command timeout fires late when the event loop is busy and fails
    // answers already received, so here it is only a backstop and `bounded-call.ts` keeps the real bound.
    const { createRedisConnections } = await import("../state/redis-connection.js");
    const connections = createRedisConnections({ ...config, commandTimeoutMs: config.commandTimeoutMs * 10 });
    await connections.ready(config.connectTimeoutMs);
    closeConnections = () => connections.close();
    store = createRedisKeyStore({ commands: connections.commands, subscriber: connections.subscriber, keyPrefix: config.keyPrefix, commandTimeoutMs: config.commandTimeoutMs, availability: setup.redis.availability });
    limiter = createRedisCallerLimiter({ commands: connections.commands, keyPrefix: config.keyPrefix, commandTimeoutMs: config.commandTimeoutMs, logger: setup.logger, availability: setup.redis.availability });
  } else {
    store = setup.keyFile === undefined ? createEmptyKeyStore() : createFileKeyStore({ path: setup.keyFile });
    limiter = createMemoryCallerLimiter();
  }
  const gate = createCallerGate(createCallerAuthenticator({ config: setup.auth, store, logger: setup.logger }), limiter);
  return {
    ...gate,
    async close() {
      await gate.close();
      await closeConnections();
    },
  };
}
