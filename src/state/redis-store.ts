/**
 * The `StateStore` shared by every replica through Redis.
 *
 * - Breakers: each record is a JSON string changed only by one compare-and-set script; every write
 *   is published, so other replicas update their local copy at once, and a copy older than
 *   `refreshMs` is re-read in the background. Reads are local: a closed breaker costs no round trip.
 * - Outcome windows: a hash of time buckets per window, changed and counted by one script.
 * - Latency series: a capped list of the newest samples from every replica; percentiles and EWMA
 *   are computed from a local copy re-read every `refreshMs`.
 * - Counters: INCRBY, sent in the background. In-flight gauges: one hash field per replica, with an
 *   expiry a live replica keeps renewing, so a crashed replica's calls stop counting.
 *
 * Every Redis call is bounded by the command timeout; a failure switches this replica to its own
 * memory (`redis-availability.ts`) until Redis answers again. What is lost then is listed in
 * docs/shared-state.md.
 */
import { randomUUID } from "node:crypto";
import type { Logger } from "pino";
import { createLatencyWindow, type LatencySummary } from "../stats/latency-window.js";
import { createMemoryStore, type MemoryStore } from "./memory-store.js";
import { boundedCall } from "./bounded-call.js";
import { createRedisAvailability, isTimeout, type RedisAvailability, type SharedStateStatus } from "./redis-availability.js";
import type { RedisClient } from "./redis-connection.js";
import { defineScripts } from "./redis-scripts.js";
import { PendingWrites } from "./pending-writes.js";
import { StaleWhileRevalidate } from "./stale-while-revalidate.js";
import type { BreakerRecord, OutcomeCounts, StateStore } from "./state-store.js";
import { initialBreakerRecord } from "./state-store.js";

export interface RedisStoreOptions {
  commands: RedisClient;
  subscriber: RedisClient;
  logger: Logger;
  /** Put before every key and channel. */
  keyPrefix: string;
  /** Local copies older than this are re-read. */
  refreshMs: number;
  /** The longest a call waits for Redis (ioredis's own timeout does not cover a cluster's retries). */
  commandTimeoutMs: number;
  /** The process's one view of whether Redis answers, shared with every other Redis user; its own by default. */
  availability?: RedisAvailability;
  latencySamples?: number;
  now?: () => number;
}

export interface RedisStore extends StateStore {
  /** "shared" while Redis answers; "local" while this replica runs on its own memory. */
  status(): SharedStateStatus;
  onStatusChange(listener: (status: SharedStateStatus) => void): void;
  /** Resolves once the breaker channel is subscribed (tests wait for it). */
  ready(): Promise<void>;
}

/** Shared keys live a day after their last write; a deployment nobody uses leaves nothing behind. */
const KEY_TTL_MS = 24 * 60 * 60 * 1_000;
/** Outcome windows are counted in this many buckets: the window is exact to 1/30 of its length. */
const WINDOW_BUCKETS = 30;
/** How long a replica's in-flight field counts without being renewed. */
const IN_FLIGHT_TTL_MS = 5_000;
/** Writes that decide nothing (counters, samples, successes, in-flight) are sent this often, batched. */
const FLUSH_MS = 100;
/** Local copies kept (breakers, windows, latency series, gauges), each map. */
const MAX_LOCAL_COPIES = 10_000;

interface BreakerCopy {
  record: BreakerRecord;
  readAt: number;
}

function parseBreaker(json: string): BreakerRecord | undefined {
  if (json === "") return undefined;
  return JSON.parse(json) as BreakerRecord;
}

export function createRedisStore(options: RedisStoreOptions): RedisStore {
  const { logger, keyPrefix, refreshMs, commandTimeoutMs } = options;
  const now = options.now ?? Date.now;
  const redis = defineScripts(options.commands);
  const local: MemoryStore = createMemoryStore({ latencySamples: options.latencySamples });
  const latencySamples = options.latencySamples ?? 256;
  const replicaId = randomUUID();
  const breakerChannel = `${keyPrefix}breakers`;
  const availability = options.availability ?? createRedisAvailability({ logger, now, retryAfterMs: 1_000 });
  const redisKey = (key: string): string => keyPrefix + key;

  const breakers = new Map<string, BreakerCopy>();
  // A write or re-read in the background that is merely slow holds no request: only its connection
  // errors say anything about Redis (a burst that slows Redis must not switch the process to local state).
  const onError = (error: unknown): void => {
    if (!isTimeout(error)) availability.failed(error);
  };
  const outcomeCopies = new StaleWhileRevalidate<OutcomeCounts>({ maxAgeMs: refreshMs, maxEntries: MAX_LOCAL_COPIES, now, onError });
  const latencyCopies = new StaleWhileRevalidate<LatencySummary>({ maxAgeMs: refreshMs, maxEntries: MAX_LOCAL_COPIES, now, onError });
  const otherInFlight = new StaleWhileRevalidate<number>({ maxAgeMs: refreshMs, maxEntries: MAX_LOCAL_COPIES, now, onError });
  const ownInFlight = new Map<string, number>();
  const dirtyInFlight = new Set<string>();
  const pending = new PendingWrites(latencySamples);
  let flushTimer: NodeJS.Timeout | undefined;

  const bounded = <T>(run: () => Promise<T>): Promise<T> => boundedCall(run, commandTimeoutMs);

  /** Runs `run` against Redis, or `fallback` on this replica's memory when Redis is down or fails. */
  async function shared<T>(run: () => Promise<T>, fallback: () => Promise<T> | T): Promise<T> {
    if (!availability.usable()) return fallback();
    try {
      const value = await bounded(run);
      availability.succeeded();
      return value;
    } catch (error) {
      availability.failed(error);
      return fallback();
    }
  }

  /** Sends a write nobody waits for; a failure only switches to local state. */
  function inBackground(run: () => Promise<unknown>, fallback: () => void): Promise<void> {
    if (!availability.usable()) {
      fallback();
      return Promise.resolve();
    }
    return bounded(run).then(
      () => availability.succeeded(),
      (error: unknown) => {
        onError(error);
        fallback();
      },
    );
  }

  const keepBreaker = (key: string, record: BreakerRecord | undefined): BreakerRecord => {
    const kept = breakers.get(key);
    const next = record ?? initialBreakerRecord();
    // A copy that arrived by pub/sub may be newer than a read that started before it.
    if (kept !== undefined && kept.record.version > next.version) return kept.record;
    if (kept === undefined && breakers.size >= MAX_LOCAL_COPIES) breakers.delete(breakers.keys().next().value as string);
    breakers.set(key, { record: next, readAt: now() });
    return next;
  };

  const fetchBreaker = async (key: string): Promise<BreakerRecord> => {
    const json = await redis.get(redisKey(key));
    return keepBreaker(key, json === null ? undefined : parseBreaker(json));
  };

  const onBreakerMessage = (channel: string, message: string): void => {
    if (channel !== breakerChannel) return;
    const newline = message.indexOf("\n");
    if (newline < 0) return;
    const key = message.slice(0, newline);
    const record = parseBreaker(message.slice(newline + 1));
    if (record !== undefined && breakers.has(key)) keepBreaker(key, record);
  };
  options.subscriber.on("message", onBreakerMessage);
  // Subscribed on every ready connection: a subscribe sent before the first one is refused by ioredis.
  const subscribe = (): Promise<void> =>
    options.subscriber.subscribe(breakerChannel).then(
      () => undefined,
      (error: unknown) => logger.warn({ err: error instanceof Error ? error.message : String(error) }, "could not subscribe to breaker changes"),
    );
  options.subscriber.on("ready", subscribe);
  const subscribed = options.subscriber.status === "ready" ? subscribe() : new Promise<void>((resolve) => options.subscriber.once("ready", resolve));

  // Copies taken before Redis went away (or while it was away) may be stale: read afresh.
  availability.onChange(() => {
    breakers.clear();
    outcomeCopies.clear();
    latencyCopies.clear();
    otherInFlight.clear();
    for (const key of ownInFlight.keys()) dirtyInFlight.add(key);
    scheduleFlush();
  });
  options.commands.on("ready", () => availability.succeeded());

  const summarize = (newestFirst: string[]): LatencySummary => {
    const window = createLatencyWindow(latencySamples);
    for (let index = newestFirst.length - 1; index >= 0; index--) window.record(Number(newestFirst[index]));
    return window.summary();
  };

  /** Adds `successes` and `failures` to a window (either may be 0) and returns its counts. */
  const countOutcomes = async (key: string, at: number, successes: number, failures: number, windowMs: number): Promise<OutcomeCounts> => {
    const bucketMs = Math.max(1, Math.ceil(windowMs / WINDOW_BUCKETS));
    const [total, failed] = await redis.mgRecordOutcome(redisKey(key), at, successes, failures, windowMs, bucketMs);
    const counts = { total, failures: failed };
    outcomeCopies.set(key, counts);
    return counts;
  };

  /** Sends what gathered since the last flush, one command per key; what cannot be sent goes to memory. */
  function flushPendingWrites(): Promise<unknown> {
    if (pending.empty) return Promise.resolve();
    const { counters, samples, successes } = pending.drain();
    if (!availability.usable()) {
      for (const [name, by] of counters) local.addToCounter(name, by);
      for (const [series, values] of samples) for (const ms of values) local.recordLatency(series, ms);
      for (const [key, { at, windowMs, count }] of successes) for (let index = 0; index < count; index++) void local.recordOutcome(key, at, false, windowMs);
      return Promise.resolve();
    }
    const sends: Promise<void>[] = [];
    for (const [name, by] of counters) {
      sends.push(inBackground(() => redis.incrby(redisKey(name), by).then(() => redis.pexpire(redisKey(name), KEY_TTL_MS)), () => local.addToCounter(name, by)));
    }
    for (const [series, values] of samples) {
      sends.push(
        inBackground(
          () => redis.mgRecordLatency(redisKey(series), latencySamples, KEY_TTL_MS, ...values),
          () => values.forEach((ms) => local.recordLatency(series, ms)),
        ),
      );
    }
    for (const [key, { at, windowMs, count }] of successes) {
      sends.push(
        inBackground(
          () => countOutcomes(key, at, count, 0, windowMs),
          () => {
            for (let index = 0; index < count; index++) void local.recordOutcome(key, at, false, windowMs);
          },
        ),
      );
    }
    return Promise.all(sends);
  }

  /** Writes the in-flight fields that changed, and renews the live ones, in one batch. */
  function flushInFlight(): void {
    if (!availability.usable()) {
      dirtyInFlight.clear();
      return;
    }
    const expiresAt = now() + IN_FLIGHT_TTL_MS;
    for (const key of dirtyInFlight) {
      const count = ownInFlight.get(key) ?? 0;
      const write =
        count === 0
          ? redis.hdel(redisKey(key), replicaId)
          : redis.hset(redisKey(key), replicaId, `${count}:${expiresAt}`).then(() => redis.pexpire(redisKey(key), IN_FLIGHT_TTL_MS * 2));
      bounded(() => write).then(() => availability.succeeded(), onError);
    }
    dirtyInFlight.clear();
  }
  /** One flush for everything written in the next `FLUSH_MS`. */
  function scheduleFlush(): void {
    if (flushTimer !== undefined) return;
    flushTimer = setTimeout(() => {
      flushTimer = undefined;
      flushInFlight();
      flushPendingWrites();
    }, FLUSH_MS);
    flushTimer.unref();
  }
  const renewInFlight = setInterval(() => {
    for (const key of ownInFlight.keys()) dirtyInFlight.add(key);
    if (dirtyInFlight.size > 0) scheduleFlush();
  }, IN_FLIGHT_TTL_MS / 3);
  renewInFlight.unref();

  const sumOtherReplicas = async (key: string): Promise<number> => {
    const fields = await redis.hgetall(redisKey(key));
    const at = now();
    let sum = 0;
    for (const [replica, value] of Object.entries(fields)) {
      if (replica === replicaId) continue;
      const [count, expiresAt] = value.split(":").map(Number);
      if (expiresAt > at) sum += count;
    }
    return sum;
  };

  return {
    async readBreaker(key) {
      if (!availability.usable()) return local.readBreaker(key);
      const copy = breakers.get(key);
      if (copy === undefined) return { ...(await shared(() => fetchBreaker(key), () => local.readBreaker(key))) };
      if (now() - copy.readAt >= refreshMs) {
        copy.readAt = now();
        bounded(() => fetchBreaker(key)).then(() => availability.succeeded(), onError);
      }
      return { ...copy.record };
    },

    compareAndSetBreaker(key, expectedVersion, next) {
      return shared(
        async () => {
          const stored: BreakerRecord = { ...next, version: expectedVersion + 1 };
          const json = JSON.stringify(stored);
          const [written, current] = await redis.mgCompareAndSetBreaker(redisKey(key), expectedVersion, json, KEY_TTL_MS);
          if (written !== 1) {
            keepBreaker(key, parseBreaker(current));
            return undefined;
          }
          keepBreaker(key, stored);
          bounded(() => redis.publish(breakerChannel, `${key}\n${json}`)).catch(onError);
          return { ...stored };
        },
        () => local.compareAndSetBreaker(key, expectedVersion, next),
      );
    },

    recordOutcome(key, at, failed, windowMs) {
      if (!failed && availability.usable()) {
        // A success decides nothing: counted with the next flush; the counts returned are the last known.
        pending.addSuccess(key, at, windowMs);
        scheduleFlush();
        return Promise.resolve(outcomeCopies.peek(key) ?? { total: 0, failures: 0 });
      }
      return shared(
        () => countOutcomes(key, at, pending.takeSuccesses(key), failed ? 1 : 0, windowMs),
        () => local.recordOutcome(key, at, failed, windowMs),
      );
    },

    readOutcomes(key, at, windowMs) {
      return shared(
        () => outcomeCopies.read(key, () => bounded(() => countOutcomes(key, at, 0, 0, windowMs))),
        () => local.readOutcomes(key, at, windowMs),
      );
    },

    recordLatency(series, ms) {
      if (!availability.usable()) return local.recordLatency(series, ms);
      pending.addSample(series, ms);
      scheduleFlush();
    },

    readLatency(series) {
      return shared(
        () => latencyCopies.read(series, () => bounded(async () => summarize(await redis.lrange(redisKey(series), 0, -1)))),
        () => local.readLatency(series),
      );
    },

    addToCounter(name, by = 1) {
      if (!availability.usable()) return local.addToCounter(name, by);
      pending.addToCounter(name, by);
      scheduleFlush();
    },

    readCounter(name) {
      return shared(
        async () => Number((await redis.get(redisKey(name))) ?? 0),
        () => local.readCounter(name),
      );
    },

    adjustInFlight(key, delta) {
      const value = Math.max(0, (ownInFlight.get(key) ?? 0) + delta);
      if (value === 0) ownInFlight.delete(key);
      else ownInFlight.set(key, value);
      dirtyInFlight.add(key);
      scheduleFlush();
      return value;
    },

    async readInFlight(key) {
      const own = ownInFlight.get(key) ?? 0;
      return own + (await shared(() => otherInFlight.read(key, () => bounded(() => sumOtherReplicas(key))), () => 0));
    },

    async forget(keys) {
      for (const key of keys) {
        breakers.delete(key);
        outcomeCopies.delete(key);
        latencyCopies.delete(key);
        otherInFlight.delete(key);
      }
      await local.forget(keys);
      // One DEL per key: keys of different subjects may live on different cluster nodes.
      await shared(() => Promise.all(keys.map((key) => redis.del(redisKey(key)))), () => []);
    },

    status: () => availability.status(),
    onStatusChange: (listener) => availability.onChange(listener),
    ready: () => subscribed,

    async close() {
      clearInterval(renewInFlight);
      clearTimeout(flushTimer);
      // What gathered since the last flush still counts (each send bounded by the command timeout).
      await flushPendingWrites();
      options.subscriber.off("message", onBreakerMessage);
      options.subscriber.off("ready", subscribe);
      if (availability.usable() && ownInFlight.size > 0) {
        await Promise.allSettled([...ownInFlight.keys()].map((key) => bounded(() => redis.hdel(redisKey(key), replicaId))));
      }
      await local.close();
    },
  };
}
