/**
 * Runs shared by every replica through Redis. Per run (keys between braces share one cluster slot):
 * a hash `run:{k}` (fingerprint, state), a lease `run:{k}:lease` that the running replica renews every
 * lease/3 (a run whose lease lapsed was lost with its replica), and a Redis Stream `run:{k}:events`
 * whose entry ids are `0-<position>`, trimmed to about `maxEvents` (`XADD MAXLEN ~`) and expiring with
 * the run (Redis Stream entries have no TTL of their own: the key gets PEXPIRE). Every write is one Lua
 * script and publishes the position on the run's channel, which wakes readers on other replicas; they
 * also poll every lease/3, so a lost message only delays them.
 *
 * Readers on the other replicas mark `run:{k}:readers` (renewed every lease/3, lapsing after a lease)
 * while they read, so the running replica does not cancel the run as unread (`local-runs.ts`): one PTTL
 * tells it whether anyone reads elsewhere and when to look again.
 *
 * The replica running a run also keeps it in memory (`memory-run-log.ts`): its own readers never wait
 * on Redis. When Redis fails, claims fall back to that memory (this replica's duplicates still join).
 */
import { randomUUID } from "node:crypto";
import type { Logger } from "pino";
import type { RedisClient } from "../state/redis-connection.js";
import { GatewayError } from "../gateway/types.js";
import { createMemoryRunLog } from "./memory-run-log.js";
import { isTerminal, type ClaimOutcome, type RunEntry, type RunLog } from "./run-log.js";
import { boundedCall } from "../state/bounded-call.js";
import { isTimeout, type RedisAvailability } from "../state/redis-availability.js";

const claimScript = `
local fp = redis.call('HGET', KEYS[1], 'fp')
local resume = ARGV[5] == 'resume'
if fp then
  local state = redis.call('HGET', KEYS[1], 'state')
  if state == 'running' and redis.call('EXISTS', KEYS[2]) == 0 then state = 'lost' end
  if fp ~= ARGV[1] and (state == 'running' or state == 'done' or resume) then return 'conflict' end
  if state == 'running' or state == 'done' or resume then return state end
elseif resume then
  return 'missing'
end
redis.call('DEL', KEYS[3], KEYS[4])
redis.call('HSET', KEYS[1], 'fp', ARGV[1], 'state', 'running')
redis.call('PEXPIRE', KEYS[1], ARGV[3])
redis.call('SET', KEYS[2], ARGV[2], 'PX', ARGV[4])
return 'claimed'`;

const appendScript = `
redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[3], '0-' .. ARGV[1], 'e', ARGV[2])
redis.call('PEXPIRE', KEYS[1], ARGV[4])
if ARGV[6] ~= '' then
  redis.call('HSET', KEYS[2], 'state', ARGV[6])
  redis.call('PEXPIRE', KEYS[2], ARGV[4])
  redis.call('DEL', KEYS[3])
end
redis.call('PUBLISH', ARGV[5], ARGV[1])
return 1`;

type ScriptedClient = RedisClient & {
  runClaim(meta: string, lease: string, events: string, readers: string, fp: string, owner: string, ttl: number, leaseMs: number, mode: string): Promise<string>;
  runAppend(events: string, meta: string, lease: string, position: number, json: string, maxLen: number, ttl: number, channel: string, state: string): Promise<number>;
};

export interface RedisRunLogOptions {
  commands: RedisClient;
  subscriber: RedisClient;
  keyPrefix: string;
  commandTimeoutMs: number;
  maxRuns: number;
  maxEvents: number;
  leaseMs: number;
  logger: Logger;
  /** The process's one view of whether Redis answers (state/redis-availability.ts); while it is down, runs stay in memory at once. */
  availability?: RedisAvailability;
}

export function createRedisRunLog(options: RedisRunLogOptions): RunLog {
  const { keyPrefix, commandTimeoutMs, maxEvents, leaseMs, logger } = options;
  const redis = options.commands as ScriptedClient;
  if (typeof redis.runClaim !== "function") {
    options.commands.defineCommand("runClaim", { numberOfKeys: 4, lua: claimScript });
    options.commands.defineCommand("runAppend", { numberOfKeys: 3, lua: appendScript });
  }
  const local = createMemoryRunLog({ maxRuns: options.maxRuns, maxEvents });
  const owner = randomUUID();
  const keys = (key: string) => {
    const meta = `${keyPrefix}run:{${key}}`;
    return { meta, lease: `${meta}:lease`, events: `${meta}:events`, readers: `${meta}:readers`, channel: meta };
  };
  /** Runs this replica claimed in Redis and still renews. */
  const leases = new Map<string, NodeJS.Timeout>();
  /** Readers waiting on each channel. */
  const listeners = new Map<string, Set<() => void>>();
  options.subscriber.on("message", (channel: string) => {
    for (const wake of listeners.get(channel) ?? []) wake();
  });
  let warned = false;
  const failed = (error: unknown, what: string): void => {
    if (warned) return;
    warned = true;
    logger.warn({ err: error instanceof Error ? error.message : String(error) }, `Redis failed while ${what}: runs fall back to this replica's memory`);
  };

  /**
   * `run` bounded by the command timeout, skipped while the process knows Redis to be down. A call a
   * request waits on (`onPath`) reports its timeout to the shared availability; one in the background
   * reports only connection errors (a slow background write holds no request).
   */
  function bounded<T>(run: () => Promise<T>, onPath = false): Promise<T> {
    const availability = options.availability;
    if (availability !== undefined && !availability.usable()) return Promise.reject(new Error("Redis is unreachable (another call found it so)"));
    return boundedCall(run, commandTimeoutMs).then(
      (value) => {
        availability?.succeeded();
        return value;
      },
      (error: unknown) => {
        if (onPath || !isTimeout(error)) availability?.failed(error);
        throw error;
      },
    );
  }

  /**
   * Records an entry once the current turn of the event loop is over: the caller it was made for gets
   * it first (this replica's readers read memory), and the encoding and the command cost it nothing.
   * Immediates run in order, so a run's entries still reach Redis in order.
   */
  const write = (key: string, position: number, entry: RunEntry, ttlMs: number, state: string): Promise<unknown> => {
    const k = keys(key);
    return new Promise((resolve) => setImmediate(resolve)).then(() =>
      bounded(() => redis.runAppend(k.events, k.meta, k.lease, position, JSON.stringify(entry), maxEvents, ttlMs, k.channel, state)),
    );
  };
  const ttls = new Map<string, number>();

  async function* readShared(key: string, after: number, signal: AbortSignal): AsyncGenerator<{ position: number; entry: RunEntry }, void, undefined> {
    const k = keys(key);
    let last = after;
    let pending = true;
    let wake: (() => void) | undefined;
    const listener = (): void => {
      pending = true;
      wake?.();
    };
    let channelListeners = listeners.get(k.channel);
    if (channelListeners === undefined) {
      channelListeners = new Set();
      listeners.set(k.channel, channelListeners);
      await bounded(() => options.subscriber.subscribe(k.channel));
    }
    channelListeners.add(listener);
    try {
      for (;;) {
        signal.throwIfAborted();
        if (pending) {
          pending = false;
          const entries = await bounded(() => redis.xrange(k.events, `(0-${last}`, "+", "COUNT", 1_000));
          for (const [id, fields] of entries) {
            const position = Number(id.slice(2));
            if (position !== last + 1) throw new GatewayError("RESUME_NOT_FOUND", `events before position ${position} are no longer kept`);
            const entry = JSON.parse(fields[1]) as RunEntry;
            yield { position, entry };
            last = position;
            if (isTerminal(entry)) return;
          }
          if (entries.length > 0) {
            pending = true;
            continue;
          }
        }
        const woken = await new Promise<boolean>((resolve) => {
          const timer = setTimeout(() => finish(false), Math.max(50, Math.floor(leaseMs / 3)));
          const onAbort = (): void => finish(true);
          function finish(byMessage: boolean): void {
            clearTimeout(timer);
            wake = undefined;
            signal.removeEventListener("abort", onAbort);
            resolve(byMessage);
          }
          wake = () => finish(true);
          signal.addEventListener("abort", onAbort, { once: true });
          if (pending) finish(true);
        });
        if (woken) continue;
        // A quiet poll: is the run still alive?
        const [state, leased] = await bounded(() => Promise.all([redis.hget(k.meta, "state"), redis.exists(k.lease)]));
        if (state === null) throw new GatewayError("RESUME_NOT_FOUND", "no stored run for this request id (never run, or expired)");
        if (state === "running" && leased === 0) {
          throw new GatewayError("RUN_LOST", "the replica running this request went away before it finished; call again to run it anew");
        }
        pending = true;
      }
    } finally {
      channelListeners.delete(listener);
      if (channelListeners.size === 0) {
        listeners.delete(k.channel);
        options.subscriber.unsubscribe(k.channel).catch(() => {});
      }
    }
  }

  return {
    async claim(key, fingerprint, mode, ttlMs): Promise<ClaimOutcome> {
      const k = keys(key);
      let outcome: ClaimOutcome;
      try {
        outcome = (await bounded(
          () => redis.runClaim(k.meta, k.lease, k.events, k.readers, fingerprint, owner, Math.max(ttlMs, leaseMs), leaseMs, mode),
          true,
        )) as ClaimOutcome;
      } catch (error) {
        failed(error, "claiming a run");
        return local.claim(key, fingerprint, mode, ttlMs);
      }
      if (outcome === "claimed") {
        local.adopt(key, fingerprint, ttlMs);
        ttls.set(key, ttlMs);
        const timer = setInterval(() => {
          bounded(() => redis.set(k.lease, owner, "PX", leaseMs, "XX")).catch((error: unknown) => failed(error, "renewing a lease"));
        }, Math.max(50, Math.floor(leaseMs / 3)));
        timer.unref();
        leases.set(key, timer);
      }
      return outcome;
    },
    append(key, position, entry) {
      local.append(key, position, entry);
      if (!leases.has(key)) return;
      write(key, position, entry, Math.max(ttls.get(key) ?? leaseMs, leaseMs), "").catch((error: unknown) => failed(error, "recording an event"));
    },
    async end(key, position, entry, ttlMs) {
      await local.end(key, position, entry, ttlMs);
      const timer = leases.get(key);
      if (timer === undefined) return;
      clearInterval(timer);
      leases.delete(key);
      ttls.delete(key);
      await write(key, position, entry, ttlMs, entry.kind === "error" ? "failed" : "done").catch((error: unknown) => failed(error, "ending a run"));
    },
    read(key, after, signal) {
      return local.has(key) ? local.read(key, after, signal) : readShared(key, after, signal);
    },
    attend(key) {
      const { readers } = keys(key);
      const mark = (): void => {
        bounded(() => redis.set(readers, "1", "PX", leaseMs)).catch((error: unknown) => failed(error, "marking a reader"));
      };
      mark();
      const timer = setInterval(mark, Math.max(50, Math.floor(leaseMs / 3)));
      timer.unref();
      return () => clearInterval(timer);
    },
    async readersElsewhere(key) {
      try {
        return Math.max(0, await bounded(() => redis.pttl(keys(key).readers), true));
      } catch (error) {
        failed(error, "looking for readers on other replicas");
        return 0;
      }
    },
    async close() {
      for (const timer of leases.values()) clearInterval(timer);
      leases.clear();
      await local.close();
    },
  };
}
