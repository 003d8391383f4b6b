/**
 * Caller keys in Redis, shared by every replica: one hash (`<prefix>caller-keys`), field = the key's
 * SHA-256, value = the record as JSON. Every change is published on the channel of the same name, so
 * each replica drops its cached copy at once (the authenticator also re-reads a copy older than 1 s, for
 * a replica that missed the message). Every command is bounded by the command timeout; a failure is
 * thrown for the caller to decide (the authenticator serves its last copy).
 */
import type { RedisClient } from "../state/redis-connection.js";
import type { KeyRecord } from "./caller-key.js";
import { boundedCall } from "../state/bounded-call.js";
import type { RedisAvailability } from "../state/redis-availability.js";
import type { KeyStore } from "./key-store.js";

export interface RedisKeyStoreOptions {
  commands: RedisClient;
  subscriber: RedisClient;
  keyPrefix: string;
  commandTimeoutMs: number;
  /** The process's one view of whether Redis answers: while it is down, lookups fail at once. */
  availability?: RedisAvailability;
}

export function createRedisKeyStore(options: RedisKeyStoreOptions): KeyStore {
  const { commands, subscriber, commandTimeoutMs } = options;
  const hashKey = `${options.keyPrefix}caller-keys`;
  const channel = hashKey;
  const listeners: ((sha256: string | undefined) => void)[] = [];

  /** Lookups on a request's path skip a Redis known to be down; key management always tries. */
  async function bounded<T>(run: () => Promise<T>, onRequestPath = false): Promise<T> {
    const availability = options.availability;
    if (availability === undefined) return boundedCall(run, commandTimeoutMs);
    if (onRequestPath && !availability.usable()) throw new Error("Redis is unreachable (another call found it so)");
    try {
      const value = await boundedCall(run, commandTimeoutMs);
      availability.succeeded();
      return value;
    } catch (error) {
      availability.failed(error);
      throw error;
    }
  }
  const parse = (json: string): KeyRecord => ({ ...(JSON.parse(json) as KeyRecord), source: "store" });
  const onMessage = (from: string, message: string): void => {
    if (from !== channel) return;
    for (const listener of listeners) listener(message === "" ? undefined : message);
  };
  // Announcements sent while the subscriber was disconnected are lost: after it (re)connects, anything
  // may have changed.
  const onReady = (): void => {
    for (const listener of listeners) listener(undefined);
  };
  subscriber.on("message", onMessage);
  subscriber.on("ready", onReady);
  void subscriber.subscribe(channel).catch(() => {});

  return {
    remote: true,
    async findByHash(sha256) {
      const json = await bounded(() => commands.hget(hashKey, sha256), true);
      return json === null ? undefined : parse(json);
    },
    async create(record) {
      await bounded(() => commands.hset(hashKey, record.sha256, JSON.stringify({ ...record, source: "store" })));
      await bounded(() => commands.publish(channel, record.sha256)).catch(() => {});
    },
    async list() {
      const all = await bounded(() => commands.hgetall(hashKey));
      return Object.values(all).map(parse);
    },
    async revoke(id, at) {
      const all = await bounded(() => commands.hgetall(hashKey));
      const record = Object.values(all).map(parse).find((candidate) => candidate.id === id);
      if (record === undefined) return undefined;
      const revoked = { ...record, revokedAt: record.revokedAt ?? at };
      await bounded(() => commands.hset(hashKey, record.sha256, JSON.stringify(revoked)));
      await bounded(() => commands.publish(channel, record.sha256)).catch(() => {});
      return revoked;
    },
    onChange(listener) {
      listeners.push(listener);
    },
    async close() {
      subscriber.off("message", onMessage);
      subscriber.off("ready", onReady);
      await subscriber.unsubscribe(channel).catch(() => {});
    },
  };
}
