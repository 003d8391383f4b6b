/**
 * The Redis store against real `redis-server` processes, a single node and a 3-node cluster: two stores
 * stand for two replicas. Breakers, latency, in-flight gauges and counters written through one are
 * seen by the other; exactly one replica gets a half-open probe; Redis killed or hung never holds a
 * call longer than the command timeout, and a restarted Redis is rejoined.
 */
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { breakerSchema, redisSchema } from "../../src/config/schema.js";
import { createCircuitBreaker } from "../../src/resilience/circuit-breaker.js";
import { systemClock } from "../../src/resilience/clock.js";
import { createRedisConnections, type RedisConnections } from "../../src/state/redis-connection.js";
import { createRedisStore, type RedisStore } from "../../src/state/redis-store.js";
import { startRedis, startRedisCluster, type RedisSetup } from "../../bench/lib/redis-servers.js";

const COMMAND_TIMEOUT_MS = 150;
const logger = pino({ level: "silent" });

interface Replica {
  store: RedisStore;
  connections: RedisConnections;
}

async function replica(setup: RedisSetup, keyPrefix: string): Promise<Replica> {
  const config = redisSchema.parse({ ...setup.config, commandTimeoutMs: COMMAND_TIMEOUT_MS, keyPrefix, refreshMs: 100 });
  const connections = createRedisConnections(config);
  const store = createRedisStore({ commands: connections.commands, subscriber: connections.subscriber, logger, keyPrefix, refreshMs: 100, commandTimeoutMs: COMMAND_TIMEOUT_MS });
  await store.ready();
  return { store, connections };
}

async function waitFor(condition: () => Promise<boolean>, timeoutMs: number): Promise<number> {
  const started = Date.now();
  while (!(await condition())) {
    if (Date.now() - started > timeoutMs) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  return Date.now() - started;
}

const breakerConfig = breakerSchema.parse({ consecutiveFailures: 2, openMs: 300, maxOpenMs: 300, halfOpenProbes: 1 });

describe.each([
  ["a single node", startRedis],
  ["a 3-node cluster", startRedisCluster],
])("the Redis store on %s", (_name, start) => {
  let setup: RedisSetup;
  let a: Replica;
  let b: Replica;
  let prefix = 0;
  const fresh = async (): Promise<[Replica, Replica]> => {
    prefix += 1;
    return [await replica(setup, `t${prefix}:`), await replica(setup, `t${prefix}:`)];
  };

  beforeAll(async () => {
    setup = await start();
    [a, b] = await fresh();
  }, 60_000);
  afterAll(async () => {
    for (const r of [a, b]) {
      await r.store.close();
      await r.connections.close();
    }
    await setup.stop();
  });

  it("shares one breaker: tripped through A, B refuses within a second; one probe in all", async () => {
    const breakerA = createCircuitBreaker({ key: "dep-1", config: breakerConfig, store: a.store, clock: systemClock, logger });
    const breakerB = createCircuitBreaker({ key: "dep-1", config: breakerConfig, store: b.store, clock: systemClock, logger });
    expect(await breakerB.acquire()).toEqual({ probe: false });
    for (let index = 0; index < 2; index++) await breakerA.onFailure((await breakerA.acquire())!);
    expect((await breakerA.view()).state).toBe("open");
    const seenAfterMs = await waitFor(async () => (await breakerB.acquire()) === undefined, 1_000);
    expect(seenAfterMs).toBeLessThan(1_000);

    await new Promise((resolve) => setTimeout(resolve, 350));
    const permits = await Promise.all([
      ...Array.from({ length: 10 }, () => breakerA.acquire()),
      ...Array.from({ length: 10 }, () => breakerB.acquire()),
    ]);
    expect(permits.filter((permit) => permit?.probe === true)).toHaveLength(1);
    const probe = permits.find((permit) => permit !== undefined)!;
    const owner = permits.indexOf(probe) < 10 ? breakerA : breakerB;
    await owner.onSuccess(probe);
    await waitFor(async () => (await breakerA.view()).state === "closed" && (await breakerB.view()).state === "closed", 1_000);
  });

  it("merges latency, counters, outcome windows and in-flight gauges across replicas", async () => {
    for (const ms of [100, 200, 300]) a.store.recordLatency("stats:latency:{dep-2}", ms);
    b.store.recordLatency("stats:latency:{dep-2}", 400);
    a.store.addToCounter("stats:attempts:{dep-2}", 3);
    b.store.addToCounter("stats:attempts:{dep-2}", 1);
    expect(a.store.adjustInFlight("stats:in-flight:{dep-2}", 2)).toBe(2);
    b.store.adjustInFlight("stats:in-flight:{dep-2}", 1);
    // A failure is counted at once (its count can trip a breaker); a success with the next flush.
    expect(await a.store.recordOutcome("stats:errors:{dep-2}", Date.now(), true, 10_000)).toEqual({ total: 1, failures: 1 });
    await b.store.recordOutcome("stats:errors:{dep-2}", Date.now(), false, 10_000);
    await waitFor(async () => JSON.stringify(await a.store.readOutcomes("stats:errors:{dep-2}", Date.now(), 10_000)) === JSON.stringify({ total: 2, failures: 1 }), 1_000);

    await waitFor(async () => (await b.store.readLatency("stats:latency:{dep-2}")).samples === 4, 1_000);
    expect(await b.store.readLatency("stats:latency:{dep-2}")).toMatchObject({ p50Ms: 200, p99Ms: 400 });
    await waitFor(async () => (await a.store.readCounter("stats:attempts:{dep-2}")) === 4, 1_000);
    await waitFor(async () => (await a.store.readInFlight("stats:in-flight:{dep-2}")) === 3, 1_000);
    await waitFor(async () => (await b.store.readInFlight("stats:in-flight:{dep-2}")) === 3, 1_000);
    a.store.adjustInFlight("stats:in-flight:{dep-2}", -2);
    await waitFor(async () => (await b.store.readInFlight("stats:in-flight:{dep-2}")) === 1, 1_000);
  });

  it("falls back to memory within the command timeout when Redis hangs or dies, and rejoins when it is back", async () => {
    const [c, d] = await fresh();
    // With a cluster, some of the twelve keys below live on the first node.
    const target = setup.nodes[0];
    const key = "breaker:{dep-3}";
    expect(c.store.status()).toBe("shared");
    for (const hung of [true, false]) {
      if (hung) target.pause();
      else {
        target.resume();
        await target.kill();
      }
      try {
        const started = Date.now();
        // Whatever node holds it, some of these keys live on the stopped node.
        const results = await Promise.all(
          Array.from({ length: 12 }, (_, index) => c.store.recordOutcome(`breaker-window:{dep-3-${index}}`, Date.now(), true, 10_000)),
        );
        expect(Date.now() - started).toBeLessThan(COMMAND_TIMEOUT_MS + 250);
        expect(results.every((counts) => counts.total >= 1)).toBe(true);
        expect(c.store.status()).toBe("local");
        // Now served from memory at once.
        const again = Date.now();
        await c.store.readBreaker(key);
        expect(Date.now() - again).toBeLessThan(50);
      } finally {
        if (hung) target.resume();
      }
    }
    await target.restart();
    await waitFor(async () => {
      await c.store.recordOutcome("breaker-window:{dep-3-0}", Date.now(), false, 10_000);
      return c.store.status() === "shared";
    }, 15_000);
    for (const r of [c, d]) {
      await r.store.close();
      await r.connections.close();
    }
  }, 40_000);
});
