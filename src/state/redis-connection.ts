/**
 * Connections to the Redis named in the config: one for commands, one for pub/sub (a subscribed
 * connection may only subscribe). Set up to fail fast, because ioredis's defaults wait: no offline
 * queue (a command sent while disconnected fails at once instead of queueing), a command timeout on
 * every command, no retry of a command whose connection dropped. Reconnecting is ioredis's own, in the
 * background, with a capped back-off. Each command is written when issued: ioredis's
 * `enableAutoPipelining` keeps one pipeline in flight per node and holds every later command until it
 * is answered, so a request's one round trip would wait behind a background write's (two round trips;
 * docs/shared-state.md).
 */
import { readFileSync } from "node:fs";
import type { ConnectionOptions } from "node:tls";
import { Cluster, Redis, type ClusterOptions, type RedisOptions } from "ioredis";
import type { RedisConfig } from "../config/schema.js";

/** A single node or a cluster: the store uses only what both offer. */
export type RedisClient = Redis | Cluster;

export interface RedisConnections {
  commands: RedisClient;
  subscriber: RedisClient;
  /** Resolves when both connections are ready, or after `timeoutMs` (Redis may come later). */
  ready(timeoutMs: number): Promise<boolean>;
  close(): Promise<void>;
}

function whenReady(client: RedisClient, timeoutMs: number): Promise<boolean> {
  if (client.status === "ready") return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => finish(false), timeoutMs);
    const onReady = (): void => finish(true);
    function finish(ready: boolean): void {
      clearTimeout(timer);
      client.off("ready", onReady);
      resolve(ready);
    }
    client.on("ready", onReady);
  });
}

/** Reconnect after 50, 100, 200 … ms, at most every 2 s. */
function reconnectDelayMs(times: number): number {
  return Math.min(50 * 2 ** Math.min(times - 1, 6), 2_000);
}

function tlsOptions(config: RedisConfig, url: string): ConnectionOptions | undefined {
  if (config.tls === undefined && !url.startsWith("rediss://")) return undefined;
  return {
    ca: config.tls?.caFile === undefined ? undefined : readFileSync(config.tls.caFile),
    servername: config.tls?.serverName,
    rejectUnauthorized: config.tls?.rejectUnauthorized ?? true,
  };
}

function nodeOptions(config: RedisConfig, url: string, forCommands: boolean): RedisOptions {
  return {
    username: config.username,
    password: config.password,
    tls: tlsOptions(config, url),
    connectTimeout: config.connectTimeoutMs,
    // A subscriber waits for messages by design: no command timeout there.
    commandTimeout: forCommands ? config.commandTimeoutMs : undefined,
    maxRetriesPerRequest: forCommands ? 0 : null,
    enableOfflineQueue: !forCommands,
    enableAutoPipelining: false,
    retryStrategy: reconnectDelayMs,
    lazyConnect: false,
  };
}

function connect(config: RedisConfig, forCommands: boolean): RedisClient {
  if (config.clusterNodes !== undefined) {
    const { retryStrategy: _, enableOfflineQueue, ...redisOptions } = nodeOptions(config, config.clusterNodes[0], forCommands);
    const options: ClusterOptions = {
      redisOptions,
      // ioredis reads these two only at the cluster's top level.
      enableOfflineQueue,
      enableAutoPipelining: false,
      clusterRetryStrategy: reconnectDelayMs,
      slotsRefreshTimeout: config.connectTimeoutMs,
    };
    return new Cluster(
      config.clusterNodes.map((node) => {
        const url = new URL(node);
        return { host: url.hostname, port: Number(url.port || 6379) };
      }),
      options,
    );
  }
  const url = config.url ?? "redis://127.0.0.1:6379";
  return new Redis(url, nodeOptions(config, url, forCommands));
}

/** Opens both connections (they connect in the background; commands fail fast until they are ready). */
export function createRedisConnections(config: RedisConfig): RedisConnections {
  const commands = connect(config, true);
  const subscriber = connect(config, false);
  // Errors are reported through the store's own availability log; without a listener ioredis prints
  // each reconnect failure to stderr.
  commands.on("error", () => {});
  subscriber.on("error", () => {});
  return {
    commands,
    subscriber,
    async ready(timeoutMs) {
      const [commandsReady, subscriberReady] = await Promise.all([whenReady(commands, timeoutMs), whenReady(subscriber, timeoutMs)]);
      return commandsReady && subscriberReady;
    },
    async close() {
      commands.disconnect();
      subscriber.disconnect();
    },
  };
}
