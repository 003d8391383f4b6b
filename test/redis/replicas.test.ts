/**
 * Many replicas, one truth: three gateway processes sharing one Redis (a single node, then a 3-node
 * cluster), with the vendor simulator upstream.
 * - A breaker opened through replica A stops traffic from B and C within 1 s; when it recovers, one
 *   probe reaches the deployment, whichever replica the calls arrive at.
 * - Latency routing on B reacts to a slowdown seen only through A.
 * - A reload on A (the admin route) changes a canary weight on all three within 1 s, with no failed
 *   call while it happens.
 * - Redis hung, then killed, in the middle of a few thousand requests fails none, none waits longer than the
 *   command timeout plus normal latency, and the replicas rejoin a restarted Redis.
 */
import { copyFileSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createClient } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SharedState } from "../../gen/modelgate/v1/gateway_service_pb.js";
import { Health, HealthCheckResponse_ServingStatus as ServingStatus } from "../../gen/health/v1/health_pb.js";
import { startSimulator, type Simulator } from "../../src/simulator/index.js";
import { percentile, sleep, userText } from "../e2e/harness.js";
import { startRedis, startRedisCluster, type RedisSetup } from "../../bench/lib/redis-servers.js";
import { startReplica, writeConfig, type Replica } from "./replicas.js";

const ADMIN_TOKEN = "test-admin-token-0123456789";
const COMMAND_TIMEOUT_MS = 200;

function gatewayConfig(simulator: Simulator, redis: RedisSetup, rolloutWeights: { old: number; new: number }): Record<string, unknown> {
  return {
    server: { host: "127.0.0.1", port: 0, logLevel: "info", playground: false, shutdownGraceMs: 0, admin: { token: ADMIN_TOKEN } },
    reload: { watchFile: false },
    redis: { ...redis.config, commandTimeoutMs: COMMAND_TIMEOUT_MS, refreshMs: 100 },
    providers: { sim: { kind: "openai", baseUrl: simulator.baseUrl("openai"), apiKey: "sk-test" } },
    deployments: {
      flaky: { provider: "sim", model: "flaky" },
      steady: { provider: "sim", model: "steady" },
      x: { provider: "sim", model: "x" },
      y: { provider: "sim", model: "y" },
      old: { provider: "sim", model: "old" },
      new: { provider: "sim", model: "new" },
    },
    aliases: {
      chat: { tiers: [["flaky"], ["steady"]] },
      quick: { strategy: "latency", tiers: [["x", "y"]] },
      rollout: { strategy: "weighted", tiers: [["old", "new"]], weights: rolloutWeights },
    },
    routing: {
      retry: { maxAttempts: 2, maxRetriesPerDeployment: 0 },
      breaker: { consecutiveFailures: 3, openMs: 1_500, maxOpenMs: 1_500, halfOpenProbes: 1 },
    },
  };
}

function healthOf(replica: Replica) {
  return createClient(Health, createConnectTransport({ baseUrl: replica.url, httpVersion: "1.1" }));
}

function ask(replica: Replica, model: string) {
  return replica.client.complete({ model, messages: [userText("hi")] });
}

/** How many of `calls` successive "quick" calls on `replica` were served by deployment x. */
async function servedByX(replica: Replica, calls: number): Promise<number> {
  let count = 0;
  for (let index = 0; index < calls; index++) {
    if ((await ask(replica, "quick")).route?.deployment === "x") count += 1;
  }
  return count;
}

/** Upstream requests for `model` received at or after `since`. */
function upstreamCalls(simulator: Simulator, model: string, since = 0): number {
  return simulator.requests.filter((request) => request.model === model && request.receivedAt >= since).length;
}

describe.each([
  ["a single Redis node", startRedis],
  ["a 3-node Redis cluster", startRedisCluster],
])("three replicas on %s", (_name, start) => {
  let redis: RedisSetup;
  let simulator: Simulator;
  let directory: string;
  let replicas: Replica[];
  let [a, b, c] = [] as Replica[];

  beforeAll(async () => {
    redis = await start();
    simulator = await startSimulator();
    simulator.setDefault({ text: "fine" });
    directory = mkdtempSync(join(tmpdir(), "modelgate-replicas-"));
    writeConfig(join(directory, "a.yaml"), gatewayConfig(simulator, redis, { old: 100, new: 0 }));
    copyFileSync(join(directory, "a.yaml"), join(directory, "b.yaml"));
    copyFileSync(join(directory, "a.yaml"), join(directory, "c.yaml"));
    replicas = await Promise.all(["a", "b", "c"].map((name) => startReplica(name, join(directory, `${name}.yaml`))));
    [a, b, c] = replicas;
  }, 120_000);

  afterAll(async () => {
    await Promise.all((replicas ?? []).map((replica) => replica.stop()));
    await simulator?.close();
    await redis?.stop();
    if (directory !== undefined) rmSync(directory, { recursive: true, force: true });
  });

  it("a breaker opened through A stops B and C within 1 s; one probe when it recovers", async () => {
    simulator.program({ model: "flaky", behavior: { fault: { kind: "status", status: 503 } } });
    for (let index = 0; index < 3; index++) expect((await ask(a, "chat")).route?.deployment).toBe("steady");
    const trippedAt = Date.now();
    const answers = [];
    while (Date.now() - trippedAt < 1_200) {
      answers.push(...(await Promise.all([ask(b, "chat"), ask(c, "chat")])));
      await sleep(50);
    }
    expect(answers.every((answer) => answer.route?.deployment === "steady")).toBe(true);
    expect(upstreamCalls(simulator, "flaky", trippedAt + 1_000)).toBe(0);
    console.log(`breaker: flaky called ${upstreamCalls(simulator, "flaky", trippedAt)} times by B and C after A tripped it`);

    // Recovered, and slow enough that every call of the burst arrives while the probe runs.
    simulator.reset();
    simulator.setDefault({ text: "fine" });
    simulator.program({ model: "flaky", behavior: { text: "back", firstTokenDelayMs: 400 } });
    await sleep(1_600);
    const burst = await Promise.all(replicas.flatMap((replica) => Array.from({ length: 10 }, () => ask(replica, "chat"))));
    expect(upstreamCalls(simulator, "flaky")).toBe(1);
    expect(burst.filter((answer) => answer.route?.deployment === "flaky")).toHaveLength(1);
  }, 30_000);

  it("latency routing on B reacts to a slowdown seen only through A", async () => {
    // Enough samples, and a wide enough gap, that a slow first call (a cold connection on a loaded
    // machine) no longer decides the EWMA.
    simulator.program({ model: "x", behavior: { text: "x", firstTokenDelayMs: 5 } });
    simulator.program({ model: "y", behavior: { text: "y", firstTokenDelayMs: 300 } });
    for (let index = 0; index < 12; index++) {
      await ask(b, "x");
      await ask(b, "y");
    }
    await sleep(300);
    // The latency strategy explores a random sampled deployment on ~5 % of calls, so one call proves
    // nothing: judge the choice by most of 20 (6 or more explorations to y: about 1 in 100,000).
    expect(await servedByX(b, 20)).toBeGreaterThanOrEqual(15);

    simulator.reset();
    simulator.setDefault({ text: "fine" });
    simulator.program({ model: "x", behavior: { text: "x", firstTokenDelayMs: 600 } });
    simulator.program({ model: "y", behavior: { text: "y", firstTokenDelayMs: 300 } });
    for (let index = 0; index < 8; index++) await ask(a, "x");
    // A sends its samples to Redis within a flush (100 ms), and B reads a stale copy once more before the
    // one it refreshed in the background: had B's refresh run before A's flush, its first two calls (600 ms
    // each on x) would both read the old view. So the clock starts once A's samples are in Redis, and B
    // gets up to three calls. Its own slow samples cannot move it alone: two of them lift x's EWMA to
    // ~220 ms, still under y's 300.
    await sleep(250);
    const slowedAt = Date.now();
    let servedBy: string | undefined;
    while (Date.now() - slowedAt < 1_500) {
      servedBy = (await ask(b, "quick")).route?.deployment;
      if (servedBy === "y") break;
    }
    expect(servedBy).toBe("y");
    console.log(`latency: B moved to y ${Date.now() - slowedAt} ms after A's slow calls`);
    // That first y could have been an exploration; B's choice has moved only if it stays there.
    expect(await servedByX(b, 5)).toBeLessThanOrEqual(2);
  }, 30_000);

  it("a reload on A changes a canary weight on all three within 1 s, with no failed call", async () => {
    simulator.reset();
    simulator.setDefault({ text: "fine", firstTokenDelayMs: 5 });
    for (const replica of replicas) expect((await ask(replica, "rollout")).route?.deployment).toBe("old");

    let stop = false;
    const served: { replica: string; deployment?: string; at: number }[] = [];
    const failures: unknown[] = [];
    const load = replicas.map(async (replica) => {
      while (!stop) {
        try {
          const answer = await ask(replica, "rollout");
          served.push({ replica: replica.name, deployment: answer.route?.deployment, at: Date.now() });
        } catch (error) {
          failures.push(error);
        }
      }
    });
    // A long stream running through the switch finishes on the config it started with.
    const stream = (async () => {
      const events = [];
      simulator.program({ model: "old", behavior: { text: "a b c d e f g h", tokenIntervalMs: 150 }, times: 1 });
      for await (const event of b.client.streamComplete({ model: "rollout", messages: [userText("long")] })) {
        events.push(event);
      }
      return events;
    })();
    await sleep(300);

    writeConfig(a.configPath, gatewayConfig(simulator, redis, { old: 0, new: 100 }));
    const reloadedAt = Date.now();
    const response = await fetch(`${a.url}/admin/reload`, { method: "POST", headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
    expect(response.status).toBe(200);
    await sleep(1_500);
    stop = true;
    await Promise.all(load);
    const events = await stream;

    expect(failures).toEqual([]);
    for (const replica of replicas) {
      const after = served.filter((call) => call.replica === replica.name && call.at > reloadedAt + 1_000);
      expect(after.length).toBeGreaterThan(0);
      expect(after.every((call) => call.deployment === "new")).toBe(true);
      const switchedAt = served.find((call) => call.replica === replica.name && call.deployment === "new")?.at;
      console.log(`reload: ${replica.name} served "new" ${switchedAt === undefined ? "never" : `${switchedAt - reloadedAt} ms`} after A's reload`);
    }
    const last = events.at(-1)?.event;
    expect(last?.case).toBe("finish");
  }, 30_000);

  it("Redis hung, then killed, in the middle of a few thousand requests: none fails, none waits past the command timeout; rejoined after", async () => {
    simulator.reset();
    simulator.setDefault({ text: "fine" });
    /** `count` requests, `concurrency` at a time spread over the replicas; `during` runs once they started. */
    const run = async (count: number, during?: () => void) => {
      const latencies: number[] = [];
      const failures: unknown[] = [];
      let sent = 0;
      const worker = async (index: number): Promise<void> => {
        const replica = replicas[index % replicas.length];
        while (sent < count) {
          sent += 1;
          if (sent === 48) during?.();
          const started = performance.now();
          try {
            await ask(replica, "chat");
            latencies.push(performance.now() - started);
          } catch (error) {
            failures.push(error);
          }
        }
      };
      await Promise.all(Array.from({ length: 24 }, (_, index) => worker(index)));
      return { latencies, failures, max: Math.max(...latencies), p50: percentile(latencies, 50), p99: percentile(latencies, 99) };
    };
    const describeRun = (run: { latencies: number[]; failures: unknown[]; max: number; p50: number; p99: number }): string =>
      `${run.latencies.length} ok, ${run.failures.length} failed, p50 ${run.p50.toFixed(1)} ms, p99 ${run.p99.toFixed(1)} ms, max ${run.max.toFixed(1)} ms`;

    // Normal latency under this load on this machine, measured the same way just before.
    const normal = await run(1_000);
    // Hung (SIGSTOP): connections stay open and nothing answers, for about a second.
    const hung = await run(1_000, () => {
      for (const node of redis.nodes) node.pause();
      setTimeout(() => redis.nodes.forEach((node) => node.resume()), 1_000);
    });
    console.log(`redis hung: ${describeRun(hung)}`);
    expect(hung.failures).toEqual([]);
    expect(hung.max).toBeLessThan(normal.max + COMMAND_TIMEOUT_MS + 100);
    // Every node: a cluster that lost one master without replicas goes down as a whole a little later.
    const killed = await run(2_000, () => void Promise.all(redis.nodes.map((node) => node.kill())));
    console.log(`redis killed: normal ${describeRun(normal)}; Redis killed after 48 requests: ${describeRun(killed)}`);
    expect(normal.failures).toEqual([]);
    expect(killed.failures).toEqual([]);
    expect(killed.max).toBeLessThan(normal.max + COMMAND_TIMEOUT_MS + 100);
    expect(replicas.every((replica) => replica.logs.some((line) => String(line.msg).startsWith("Redis unreachable")))).toBe(true);
    // Reported in stats and health while Redis is gone (the replica itself keeps serving).
    expect((await a.client.getDeploymentStats({})).sharedState).toBe(SharedState.LOCAL_FALLBACK);
    expect((await healthOf(a).check({ service: "modelgate.v1.SharedState" })).status).toBe(ServingStatus.NOT_SERVING);
    expect((await healthOf(a).check({ service: "" })).status).toBe(ServingStatus.SERVING);

    const logsBefore = replicas.map((replica) => replica.logs.length);
    for (const node of redis.nodes) await node.restart();
    const restartedAt = Date.now();
    const rejoined = (replica: Replica, index: number): boolean =>
      replica.logs.slice(logsBefore[index]).some((line) => String(line.msg).startsWith("Redis answers again"));
    while (!replicas.every(rejoined)) {
      if (Date.now() - restartedAt > 15_000) throw new Error("replicas did not rejoin Redis within 15 s");
      await Promise.all(replicas.map((replica) => ask(replica, "chat")));
      await sleep(100);
    }
    console.log(`redis restarted: every replica rejoined after ${Date.now() - restartedAt} ms`);
    expect((await a.client.getDeploymentStats({})).sharedState).toBe(SharedState.REDIS);
    expect((await healthOf(a).check({ service: "modelgate.v1.SharedState" })).status).toBe(ServingStatus.SERVING);
  }, 90_000);
});
