/**
 * D1–D4 (the field's §6.2; issue 15, "Redis stopped and slowed under load"): a gateway process whose
 * Redis is behind a loopback fault proxy in this process, under ~150 calls/s (unary and streamed, over
 * Connect on HTTP/1.1 and h2c), every call with a limited caller key (one from the config, one from the
 * key store in Redis) and a third of them with a request id, so that key lookups, limits, the replay log,
 * breakers and stats all use Redis. Each row runs one load of three phases: Redis healthy (the
 * baseline), the fault, Redis back. Redis stopped (the server killed), slowed (every reply 1 s late,
 * four times the 250 ms command timeout) and blackholed (read, never answered: no TCP error to rely on) must
 * answer every call from the vendor and make none wait on Redis longer than the command timeout: each
 * phase's p99, and its slowest call, exceed the baseline's by at most the command timeout plus slack
 * (a call that waited two timeouts, one feature after the other, would not). The replica reports its
 * local fallback while the fault lasts, and shared state again once Redis answers (D4: within one
 * reconnect back-off cycle and a second, with calls counted in Redis again, exactly). D3b makes one call
 * at a time instead, so that no other call's timeouts mark Redis down first: the first call after Redis
 * hangs must still wait one command timeout at most, whichever kind of key it carries.
 */
import { createClient, type Client, type Interceptor } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";
import { Redis } from "ioredis";
import { afterAll, beforeAll, expect, it } from "vitest";
import { startRedis, type RedisSetup } from "../../bench/lib/redis-servers.js";
import { Health, HealthCheckResponse_ServingStatus as ServingStatus } from "../../gen/health/v1/health_pb.js";
import { GatewayService, SharedState } from "../../gen/modelgate/v1/gateway_service_pb.js";
import { BreakerState } from "../../gen/modelgate/v1/models_pb.js";
import { AnswerSource } from "../../gen/modelgate/v1/routing_pb.js";
import { generateCallerKey, hashCallerKey, type KeyRecord } from "../../src/callers/caller-key.js";
import { startSimulator, type Simulator } from "../../src/simulator/index.js";
import { percentile, sleep } from "../e2e/harness.js";
import { transportFor } from "../server/clients.js";
import { startTcpFaultProxy, type TcpFault, type TcpFaultProxy } from "../support/tcp-fault-proxy.js";
import { ask, callStream, callUnary, deliveredText, routeOf, type CallOutcome, type GatewayClient } from "./support/battery.js";
import { mib, ms, recordFigures } from "./support/figures.js";
import { startGatewayProcess, type GatewayProcess } from "./support/gateway-process.js";
import { timingSlack } from "./support/timing-slack.js";

const COMMAND_TIMEOUT_MS = 250;
/**
 * D2's reply delay: every command the gateway waits for times out, and a call that waited for the reply
 * instead would be slower than any bound below, even with the CI's timing slack.
 */
const SLOW_REPLY_MS = 1_000;
/** What a phase's p99 may exceed the baseline's by beyond the command timeout (the machine is shared). */
const ADDED_SLACK_MS = 100 * timingSlack;
const CALLS_PER_SECOND = 150;
const BASELINE_MS = 2_000;
const FAULT_MS = 2_500;
const RECOVERY_MS = 2_500;
const WARM_UP_MS = 2_000;
const CALL_TIMEOUT_MS = 10_000;
/** redis-connection.ts: reconnect after 50, 100, 200 … ms, at most every 2 s. */
const RECONNECT_BACKOFF_MAX_MS = 2_000;
/** redis-availability.ts: Redis is tried again a second after the last failure. */
const RETRY_AFTER_MS = 1_000;
const RESUME_BOUND_MS = RECONNECT_BACKOFF_MAX_MS + RETRY_AFTER_MS * timingSlack;
/** D4: calls made with a key of their own while Redis is away, then once it is back. */
const COUNTED_AWAY = 10;
const COUNTED_BACK = 20;
const RSS_BOUND_MIB = 256;
const TEXT = "fine and well";
const POLICY = { requestsPerMinute: 1_000_000, tokensPerMinute: 1_000_000_000, dailyBudgetUsd: 1_000, maxConcurrentStreams: 1_000 };

const configKey = generateCallerKey();
const storeKey = generateCallerKey();
const countedKey = generateCallerKey();
let redis: RedisSetup;
let proxy: TcpFaultProxy;
let sim: Simulator;
let gateway: GatewayProcess;
/** [key][protocol]: config key, store key; Connect on HTTP/1.1, on h2c. */
let clients: GatewayClient[][];
let counted: GatewayClient;
let health: Client<typeof Health>;

function clientWithKey(key: string, httpVersion: "1.1" | "2"): GatewayClient {
  const authorize: Interceptor = (next) => (request) => {
    request.header.set("authorization", `Bearer ${key}`);
    return next(request);
  };
  return createClient(GatewayService, createConnectTransport({ baseUrl: gateway.url, httpVersion, interceptors: [authorize] }));
}

/** A command on the real Redis, past the proxy. */
async function onRedis<T>(run: (client: Redis) => Promise<T>): Promise<T> {
  const client = new Redis({ port: redis.nodes[0].port, host: "127.0.0.1", maxRetriesPerRequest: 1 });
  client.on("error", () => {});
  try {
    return await run(client);
  } finally {
    client.disconnect();
  }
}

/** The store's key record (a Redis without persistence loses it when it restarts). */
const storeRecord = (): Promise<unknown> =>
  onRedis((client) => {
    const record: KeyRecord = { id: "d-store", sha256: hashCallerKey(storeKey), name: "d-store", policy: { ...POLICY, metadata: {} }, createdAt: new Date().toISOString(), source: "store" };
    return client.hset("modelgate:caller-keys", record.sha256, JSON.stringify(record));
  });

async function sharedStateHealth(): Promise<ServingStatus | "error"> {
  try {
    return (await health.check({ service: "modelgate.v1.SharedState" }, { timeoutMs: 1_000 })).status;
  } catch {
    return "error";
  }
}

/** Call `index` of a load: unary and streamed, HTTP/1.1 and h2c, both keys, a request id on every third. */
function call(index: number, row: string): Promise<CallOutcome> {
  const client = clients[Math.floor(index / 4) % 2][index % 2];
  const request = { ...ask("chat", `${row}-${index}`), requestId: index % 3 === 0 ? `${row}-${index}` : "" };
  return index % 4 < 2 ? callUnary(client, request, CALL_TIMEOUT_MS) : callStream(client, request, { timeoutMs: CALL_TIMEOUT_MS });
}

const served = (outcome: CallOutcome): boolean => outcome.code === "OK" && routeOf(outcome)?.source === AnswerSource.UPSTREAM && deliveredText(outcome) === TEXT;

interface Phase {
  name: string;
  calls: CallOutcome[];
  latencies: number[];
}

interface LoadRun {
  baseline: Phase;
  fault: Phase;
  recovery: Phase;
  /** Shared state as GetDeploymentStats reported it at the end of the fault. */
  statsSharedStateInFault: SharedState;
  /** From the fault to the SharedState health service's first NOT_SERVING; undefined if never seen. */
  localAfterMs?: number;
  /** From Redis back to the first SERVING after that; undefined if never seen. */
  sharedAfterMs?: number;
}

/** CALLS_PER_SECOND calls for `durationMs`, open loop: each starts on its schedule, whatever the others do. */
async function openLoop(row: string, durationMs: number): Promise<CallOutcome[]> {
  const began = Date.now();
  const pending: Promise<CallOutcome>[] = [];
  for (let index = 0; index < Math.round((CALLS_PER_SECOND * durationMs) / 1_000); index++) {
    const wait = began + (index * 1_000) / CALLS_PER_SECOND - Date.now();
    if (wait > 0) await sleep(wait);
    pending.push(call(index, row));
  }
  return Promise.all(pending);
}

const phase = (name: string, calls: CallOutcome[]): Phase => ({ name, calls, latencies: calls.map((outcome) => outcome.endedAt - outcome.startedAt) });

/**
 * Runs the open-loop load through three phases: `fault.start()` after BASELINE_MS, `fault.end()` FAULT_MS later, then
 * RECOVERY_MS more. A call belongs to the fault phase if it was in flight at any time while the fault
 * lasted, to the recovery phase if it started after; the SharedState health service is polled meanwhile.
 */
async function underLoad(row: string, fault: { start(): Promise<void>; end(): Promise<void>; whileAway?(): Promise<void> }): Promise<LoadRun> {
  let faultAt = Number.POSITIVE_INFINITY;
  let restoredAt = Number.POSITIVE_INFINITY;
  let localAt: number | undefined;
  let sharedAt: number | undefined;
  let statsSharedStateInFault = SharedState.UNSPECIFIED;
  let polling = true;
  const poller = (async () => {
    while (polling) {
      const status = await sharedStateHealth();
      const at = Date.now();
      if (localAt === undefined && at >= faultAt && status === ServingStatus.NOT_SERVING) localAt = at;
      if (sharedAt === undefined && localAt !== undefined && at >= restoredAt && status === ServingStatus.SERVING) sharedAt = at;
      await sleep(25);
    }
  })();
  const timeline = (async () => {
    await sleep(BASELINE_MS);
    faultAt = Date.now();
    await fault.start();
    if (fault.whileAway !== undefined) {
      await sleep(FAULT_MS / 2);
      await fault.whileAway();
    }
    await sleep(faultAt + FAULT_MS - Date.now());
    statsSharedStateInFault = (await clients[0][0].getDeploymentStats({ deployments: ["main"] })).sharedState;
    await fault.end();
    restoredAt = Date.now();
  })();
  const outcomes = await openLoop(row, BASELINE_MS + FAULT_MS + RECOVERY_MS);
  await timeline;
  // Long enough for the health service to show a resumption that the bound allows.
  const pollUntil = restoredAt + RESUME_BOUND_MS + 1_000;
  while (sharedAt === undefined && Date.now() < pollUntil) await sleep(25);
  polling = false;
  await poller;
  return {
    baseline: phase("baseline", outcomes.filter((outcome) => outcome.endedAt < faultAt)),
    fault: phase("fault", outcomes.filter((outcome) => outcome.endedAt >= faultAt && outcome.startedAt < restoredAt)),
    recovery: phase("back", outcomes.filter((outcome) => outcome.startedAt >= restoredAt)),
    statsSharedStateInFault,
    localAfterMs: localAt === undefined ? undefined : localAt - faultAt,
    sharedAfterMs: sharedAt === undefined ? undefined : sharedAt - restoredAt,
  };
}

/** Waits (up to 10 s, calling meanwhile so that Redis is tried) until the replica reports shared state. */
async function untilShared(): Promise<void> {
  const until = Date.now() + 10_000;
  while ((await sharedStateHealth()) !== ServingStatus.SERVING) {
    if (Date.now() > until) throw new Error("the replica did not report shared state again within 10 s");
    await callUnary(clients[0][0], { ...ask("chat", "until-shared"), requestId: "" }, CALL_TIMEOUT_MS);
    await sleep(100);
  }
}

const describePhase = (phase: Phase): string =>
  `${phase.name} ${phase.calls.filter(served).length}/${phase.calls.length} ok, p50 ${ms(percentile(phase.latencies, 50))} p99 ${ms(percentile(phase.latencies, 99))} max ${ms(Math.max(...phase.latencies))}`;

/** The latency a call may take without having waited on Redis longer than the command timeout. */
const boundOf = (run: LoadRun): number => percentile(run.baseline.latencies, 99) + COMMAND_TIMEOUT_MS + ADDED_SLACK_MS;

function describeRun(run: LoadRun): string {
  const bound = boundOf(run);
  const over = [...run.fault.latencies, ...run.recovery.latencies].filter((latency) => latency > bound).length;
  const added = (phase: Phase): string =>
    `p99 ${ms(percentile(phase.latencies, 99) - percentile(run.baseline.latencies, 99))} max ${ms(Math.max(...phase.latencies) - Math.max(...run.baseline.latencies))}`;
  return (
    `${[run.baseline, run.fault, run.recovery].map(describePhase).join("; ")}; added: fault ${added(run.fault)}, back ${added(run.recovery)}; ` +
    `calls over ${ms(bound)} ${over}; local fallback reported after ${run.localAfterMs === undefined ? "never" : ms(run.localAfterMs)} ` +
    `(stats: ${SharedState[run.statsSharedStateInFault]}), shared again after ${run.sharedAfterMs === undefined ? "never" : ms(run.sharedAfterMs)}`
  );
}

/** D1–D3's invariant: every call served by the vendor, none waiting on Redis past the timeout, the fallback reported. */
function checkRun(run: LoadRun): void {
  for (const current of [run.baseline, run.fault, run.recovery]) {
    expect(current.calls.length, `${current.name}: calls`).toBeGreaterThan(0);
    const failures = current.calls.filter((outcome) => !served(outcome)).map((outcome) => `${outcome.code} ${outcome.message}`);
    expect(failures.slice(0, 5), `${current.name}: calls not served by the vendor (${failures.length})`).toEqual([]);
  }
  const baselineP99 = percentile(run.baseline.latencies, 99);
  const baselineMax = Math.max(...run.baseline.latencies);
  for (const current of [run.fault, run.recovery]) {
    expect(percentile(current.latencies, 99) - baselineP99, `${current.name}: added p99`).toBeLessThanOrEqual(COMMAND_TIMEOUT_MS + ADDED_SLACK_MS);
    // One call that waited on Redis twice (two features, one after the other) shows here, not in a p99.
    expect(Math.max(...current.latencies) - baselineMax, `${current.name}: added max (slowest call)`).toBeLessThanOrEqual(COMMAND_TIMEOUT_MS + ADDED_SLACK_MS);
  }
  expect(run.localAfterMs, "the SharedState health service reported NOT_SERVING during the fault").toBeDefined();
  expect(run.statsSharedStateInFault, "GetDeploymentStats' shared_state during the fault").toBe(SharedState.LOCAL_FALLBACK);
}

const INVARIANT =
  `every call OK from the vendor; p99 and slowest of the calls in flight during the fault, and of those after it, ≤ the baseline's + commandTimeout ${COMMAND_TIMEOUT_MS} ms + ${ADDED_SLACK_MS} ms slack; ` +
  `the replica reports its local fallback (health modelgate.v1.SharedState NOT_SERVING, GetDeploymentStats LOCAL_FALLBACK); peak RSS ≤ ${RSS_BOUND_MIB} MiB`;
const LOAD = `${CALLS_PER_SECOND} calls/s (unary/stream, Connect HTTP/1.1/h2c, limited config and store keys, 1/3 with a request id), ${BASELINE_MS / 1_000} s healthy, ${FAULT_MS / 1_000} s fault, ${RECOVERY_MS / 1_000} s back`;

beforeAll(async () => {
  redis = await startRedis();
  proxy = await startTcpFaultProxy({ port: redis.nodes[0].port });
  sim = await startSimulator();
  sim.setDefault({ text: TEXT, usage: { inputTokens: 10, outputTokens: 3 } });
  await storeRecord();
  const price = { inputNanoUsd: 1_000, outputNanoUsd: 2_000, asOf: "2026-01-01" };
  gateway = await startGatewayProcess("d-redis", {
    reload: { watchFile: false },
    redis: { url: `redis://127.0.0.1:${proxy.port}`, commandTimeoutMs: COMMAND_TIMEOUT_MS, refreshMs: 250 },
    providers: { sim: { kind: "openai", baseUrl: sim.baseUrl("openai"), apiKey: "sim-key" } },
    deployments: { main: { provider: "sim", model: "d-main", price }, counted: { provider: "sim", model: "d-counted", price } },
    aliases: { chat: { tiers: [["main"]] }, counted: { tiers: [["counted"]] } },
    auth: {
      keys: [
        { id: "d-config", sha256: hashCallerKey(configKey), policy: POLICY },
        { id: "d-counted", sha256: hashCallerKey(countedKey), policy: POLICY },
      ],
    },
  });
  clients = [configKey, storeKey].map((key) => [clientWithKey(key, "1.1"), clientWithKey(key, "2")]);
  counted = clientWithKey(countedKey, "1.1");
  health = createClient(Health, transportFor("grpc-h2c", gateway.url));
  // Warm up with the rows' own load (connections, scripts, the store key's lookup, JIT), so that D1's
  // baseline is as warm as the others'.
  await openLoop("warm", WARM_UP_MS);
  await untilShared();
});

afterAll(async () => {
  await gateway?.stop();
  await proxy?.close();
  await sim?.close();
  await redis?.stop();
});

async function runRow(row: string, title: string, fault: { start(): Promise<void>; end(): Promise<void> }): Promise<void> {
  const run = await underLoad(row.toLowerCase(), fault);
  await untilShared();
  const peakRss = gateway.peakRssMiB();
  await recordFigures(
    { id: row, title: `${title}, under ${LOAD}`, invariant: INVARIANT, figures: `${row}: ${describeRun(run)}; peak RSS ${mib(peakRss)}` },
    () => {
      checkRun(run);
      expect(peakRss).toBeLessThanOrEqual(RSS_BOUND_MIB);
    },
  );
}

const switchTo = (fault: TcpFault) => () => proxy.setFault(fault);

it("D1: Redis stopped under load: every call answered, none waits on Redis past the command timeout", async () => {
  await runRow("D1", "Redis stopped (redis-server killed), then restarted empty", {
    start: () => redis.nodes[0].kill(),
    async end() {
      // Restarted empty (no persistence): the store's key is written back before the gateway may reconnect.
      await proxy.setFault({ kind: "refuse" });
      await redis.nodes[0].restart();
      await storeRecord();
      await proxy.setFault({ kind: "pass" });
    },
  });
});

it(`D2: Redis slowed (every reply ${SLOW_REPLY_MS} ms late) under load: none waits on Redis past the command timeout`, async () => {
  await runRow("D2", `Redis slowed: every reply ${SLOW_REPLY_MS} ms late (command timeout ${COMMAND_TIMEOUT_MS} ms)`, {
    start: switchTo({ kind: "delay", ms: SLOW_REPLY_MS }),
    end: switchTo({ kind: "pass" }),
  });
});

it("D3: Redis blackholed under load (read, never answered): none waits on Redis past the command timeout", async () => {
  await runRow("D3", "Redis blackholed: connections accepted and read, nothing answered, no TCP error", {
    start: switchTo({ kind: "blackhole" }),
    end: switchTo({ kind: "pass" }),
  });
});

it("D3b: a lone call waits on a blackholed Redis at most one command timeout, with a config key and with a key from the key store", async () => {
  // No load: nothing else times out first and marks Redis down, so every Redis wait of the call shows.
  // The store key's cached record (authenticator: re-read after 500 ms) is stale for each lone call.
  const lone = async (client: GatewayClient): Promise<number> => {
    await sleep(700);
    const outcome = await callUnary(client, { ...ask("chat", "lone"), requestId: "" }, CALL_TIMEOUT_MS);
    expect(served(outcome), `${outcome.code} ${outcome.message}`).toBe(true);
    return outcome.endedAt - outcome.startedAt;
  };
  const cases: { name: string; healthy: number[]; blackholed: number }[] = [];
  for (const [name, client] of [
    ["config key", clients[0][0]],
    ["key-store key", clients[1][0]],
  ] as const) {
    await untilShared();
    const healthy = [await lone(client), await lone(client), await lone(client)];
    await proxy.setFault({ kind: "blackhole" });
    const blackholed = await lone(client);
    await proxy.setFault({ kind: "pass" });
    cases.push({ name, healthy, blackholed });
  }
  await untilShared();
  const boundOfCase = (entry: (typeof cases)[number]): number => Math.max(...entry.healthy) + COMMAND_TIMEOUT_MS + ADDED_SLACK_MS;
  await recordFigures(
    {
      id: "D3b",
      title: "Redis blackholed, one call at a time (no load to mark Redis down first): a config key, a key from the key store",
      invariant: `the first call after Redis hangs ≤ the slowest of 3 healthy lone calls + commandTimeout ${COMMAND_TIMEOUT_MS} ms + ${ADDED_SLACK_MS} ms slack (one timeout, not one per Redis user)`,
      figures: `D3b: ${cases.map((entry) => `${entry.name}: healthy ${entry.healthy.map(ms).join(", ")}, blackholed ${ms(entry.blackholed)} (bound ${ms(boundOfCase(entry))})`).join("; ")}`,
    },
    () => {
      for (const entry of cases) expect(entry.blackholed, `${entry.name}: the first call after Redis hung`).toBeLessThanOrEqual(boundOfCase(entry));
    },
  );
});

it("D4: Redis back after refusing connections: shared state resumes within one reconnect back-off cycle and a second, counted exactly", async () => {
  const windowKey = "modelgate:{caller:d-counted}:window";
  const countedAttempts = async (): Promise<number> => Number((await counted.getDeploymentStats({ deployments: ["counted"] })).stats[0]?.attempts ?? -1);
  const countedCalls = async (count: number): Promise<number> => {
    let ok = 0;
    for (let index = 0; index < count; index++) {
      const outcome = await callUnary(counted, { ...ask("counted", "counted"), requestId: "" }, CALL_TIMEOUT_MS);
      if (outcome.code === "OK") ok += 1;
    }
    return ok;
  };
  let awayOk = 0;
  const run = await underLoad("d4", {
    start: switchTo({ kind: "refuse" }),
    // Counted in this replica's memory only: lost when Redis returns (docs/shared-state.md).
    whileAway: async () => {
      awayOk = await countedCalls(COUNTED_AWAY);
    },
    end: switchTo({ kind: "pass" }),
  });
  await untilShared();
  const attemptsBefore = await countedAttempts();
  const windowBefore = Number((await onRedis((client) => client.hget(windowKey, "sum:r"))) ?? 0);
  const backOk = await countedCalls(COUNTED_BACK);
  // Counters reach Redis within 100 ms (pending-writes.ts) and the stats' local copy is re-read every refreshMs.
  let attemptsAfter = await countedAttempts();
  for (const until = Date.now() + 3_000; attemptsAfter - attemptsBefore < COUNTED_BACK && Date.now() < until; attemptsAfter = await countedAttempts()) await sleep(100);
  const windowAfter = Number((await onRedis((client) => client.hget(windowKey, "sum:r"))) ?? 0);
  const stats = await counted.getDeploymentStats({});
  const openBreakers = stats.stats.filter((entry) => entry.breakerState !== BreakerState.CLOSED).map((entry) => entry.deployment);
  const peakRss = gateway.peakRssMiB();
  await recordFigures(
    {
      id: "D4",
      title: `Redis back after 2.5 s of refused connections, under ${LOAD}`,
      invariant:
        `shared state reported again (health SERVING, GetDeploymentStats REDIS) ≤ ${RESUME_BOUND_MS} ms after Redis is back (one ${RECONNECT_BACKOFF_MAX_MS} ms reconnect back-off + ${RETRY_AFTER_MS * timingSlack} ms); ` +
        `${COUNTED_BACK} calls of a fresh key after it are counted in Redis exactly (its limiter window and the deployment's attempts), the ${COUNTED_AWAY} made while away not at all; no breaker open; every call OK, ` +
        `p99 and slowest ≤ the baseline's + commandTimeout + ${ADDED_SLACK_MS} ms slack`,
      figures:
        `D4: shared again after ${run.sharedAfterMs === undefined ? "never" : ms(run.sharedAfterMs)} (local after ${run.localAfterMs === undefined ? "never" : ms(run.localAfterMs)}); ` +
        `in Redis after return: limiter window +${windowAfter - windowBefore} (${windowAfter} in all), attempts +${attemptsAfter - attemptsBefore} (${attemptsAfter} in all) for ${backOk}/${COUNTED_BACK} calls ` +
        `(${awayOk}/${COUNTED_AWAY} made while away); open breakers ${openBreakers.length}; ${describeRun(run)}; peak RSS ${mib(peakRss)}`,
    },
    () => {
      expect(run.sharedAfterMs, "shared state resumed (health SERVING)").toBeDefined();
      expect(run.sharedAfterMs ?? Number.POSITIVE_INFINITY).toBeLessThanOrEqual(RESUME_BOUND_MS);
      expect(stats.sharedState).toBe(SharedState.REDIS);
      expect([awayOk, backOk], "counted calls OK (away, back)").toEqual([COUNTED_AWAY, COUNTED_BACK]);
      expect(windowBefore, "the key's calls while away are not in Redis").toBe(0);
      expect(windowAfter - windowBefore, "the key's calls after the return, in its Redis limiter window").toBe(COUNTED_BACK);
      expect(attemptsAfter - attemptsBefore, "the deployment's attempts in the shared stats after the return").toBe(COUNTED_BACK);
      expect(attemptsBefore, "the deployment's attempts while away are not in the shared stats").toBe(0);
      expect(openBreakers, "breakers left open").toEqual([]);
      checkRun(run);
      expect(peakRss).toBeLessThanOrEqual(RSS_BOUND_MIB);
    },
  );
});
