/**
 * The store a gateway process uses: Redis when the config has a `redis` section, memory otherwise.
 * ioredis is loaded only when a config asks for Redis.
 */
import type { Logger } from "pino";
import type { GatewayConfig } from "../config/schema.js";
import { createMemoryStore } from "./memory-store.js";
import type { RedisAvailability } from "./redis-availability.js";
import type { RedisConnections } from "./redis-connection.js";
import type { SharedStateStatus } from "../gateway/types.js";
import type { StateStore } from "./state-store.js";

export interface ProcessStateStore {
  store: StateStore;
  /** "memory" without Redis; "shared" or "local" (Redis unreachable) with it. */
  status(): SharedStateStatus;
  onStatusChange(listener: (status: SharedStateStatus) => void): void;
  /** Whether Redis answers: the one view every Redis user of the process shares (undefined without Redis). */
  availability?: RedisAvailability;
  /** The Redis connections, for other shared features (config announcements); undefined without Redis. */
  redis?: RedisConnections;
  close(): Promise<void>;
}

export async function createStateStore(config: GatewayConfig, logger: Logger): Promise<ProcessStateStore> {
  if (config.redis === undefined) {
    const store = createMemoryStore();
    return { store, status: () => "memory", onStatusChange: () => undefined, close: () => store.close() };
  }
  const { createRedisConnections } = await import("./redis-connection.js");
  const { createRedisStore } = await import("./redis-store.js");
  const redis = createRedisConnections(config.redis);
  // A replica that starts beside a working Redis starts shared; one that cannot reach it in time starts
  // on its own memory and joins when Redis answers.
  if (!(await redis.ready(config.redis.connectTimeoutMs))) {
    logger.warn("Redis not reachable at start: state is this replica's own until it answers");
  }
  const { createRedisAvailability } = await import("./redis-availability.js");
  const availability = createRedisAvailability({ logger, now: Date.now, retryAfterMs: 1_000 });
  const store = createRedisStore({
    availability,
    commands: redis.commands,
    subscriber: redis.subscriber,
    logger,
    keyPrefix: config.redis.keyPrefix,
    refreshMs: config.redis.refreshMs,
    commandTimeoutMs: config.redis.commandTimeoutMs,
  });
  return {
    store,
    status: () => store.status(),
    onStatusChange: (listener) => store.onStatusChange(listener),
    redis,
    availability,
    async close() {
      await store.close();
      await redis.close();
    },
  };
}
