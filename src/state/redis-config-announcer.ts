/**
 * Config announcements between replicas through Redis. Pub/sub delivers at most once, so the message is
 * only a poke: the config itself is a versioned record (`<prefix>{config}:current`, JSON of version,
 * sender and text), which a replica re-reads on every poke, when its subscription reconnects and every
 * `recheckMs`. A replica applies a record newer than the last it saw and not its own. A replica that
 * starts takes its own file as the truth and only remembers the version it found.
 *
 * The text is the file as written, with `${VAR}` references not yet expanded: each replica expands them
 * from its own environment, so secrets kept in the environment never reach Redis.
 */
import { randomUUID } from "node:crypto";
import type { Logger } from "pino";
import type { ConfigAnnouncer } from "../config/config-announcer.js";
import type { RedisClient } from "./redis-connection.js";

interface ConfigRecord {
  version: number;
  from: string;
  text: string;
}

export interface RedisConfigAnnouncerOptions {
  commands: RedisClient;
  subscriber: RedisClient;
  keyPrefix: string;
  logger: Logger;
  /** How often the record is re-read in case a poke was lost. */
  recheckMs?: number;
}

export interface RedisConfigAnnouncer extends ConfigAnnouncer {
  /** Resolves once subscribed and the current version is known. */
  ready(): Promise<void>;
  close(): void;
}

export function createRedisConfigAnnouncer(options: RedisConfigAnnouncerOptions): RedisConfigAnnouncer {
  const { commands, subscriber, keyPrefix, logger } = options;
  const replicaId = randomUUID();
  const recordKey = `${keyPrefix}{config}:current`;
  const versionKey = `${keyPrefix}{config}:version`;
  const channel = `${keyPrefix}config`;
  const handlers: ((text: string) => void)[] = [];
  /** Undefined until the record is first read: what was announced before this replica started is not news. */
  let seenVersion: number | undefined;

  const readRecord = async (): Promise<ConfigRecord | undefined> => {
    const json = await commands.get(recordKey);
    return json === null ? undefined : (JSON.parse(json) as ConfigRecord);
  };

  /** Applies the stored record if it is newer than the last one seen and another replica's. */
  const check = async (): Promise<void> => {
    const record = await readRecord();
    if (seenVersion === undefined) {
      seenVersion = record?.version ?? 0;
      return;
    }
    if (record === undefined || record.version <= seenVersion) return;
    seenVersion = record.version;
    if (record.from === replicaId) return;
    logger.info({ version: record.version }, "another replica announced a new config");
    for (const handler of handlers) handler(record.text);
  };
  const checkQuietly = (): void => {
    check().catch((error: unknown) =>
      logger.warn({ err: error instanceof Error ? error.message : String(error) }, "could not read the announced config"),
    );
  };

  const onMessage = (from: string, message: string): void => {
    if (from === channel && !message.startsWith(`${replicaId}\n`)) checkQuietly();
  };
  subscriber.on("message", onMessage);
  // Subscribed on every ready connection (ioredis refuses a subscribe sent before the first), and the
  // record re-read then, in case a poke was lost while disconnected.
  const onReady = (): void => {
    subscriber.subscribe(channel).catch((error: unknown) =>
      logger.warn({ err: error instanceof Error ? error.message : String(error) }, "could not subscribe to config announcements"),
    );
    checkQuietly();
  };
  subscriber.on("ready", onReady);
  const recheck = setInterval(checkQuietly, options.recheckMs ?? 10_000);
  recheck.unref();

  const started = (async () => {
    if (subscriber.status === "ready") await subscriber.subscribe(channel);
    seenVersion = (await readRecord())?.version ?? 0;
  })().catch((error: unknown) =>
    logger.warn({ err: error instanceof Error ? error.message : String(error) }, "config announcements unavailable until Redis answers"),
  );

  return {
    async announce(text) {
      const version = await commands.incr(versionKey);
      seenVersion = Math.max(seenVersion ?? 0, version);
      await commands.set(recordKey, JSON.stringify({ version, from: replicaId, text } satisfies ConfigRecord));
      await commands.publish(channel, `${replicaId}\n${version}`);
    },
    onAnnounce(handler) {
      handlers.push(handler);
    },
    ready: () => started,
    close() {
      clearInterval(recheck);
      subscriber.off("message", onMessage);
      subscriber.off("ready", onReady);
    },
  };
}
