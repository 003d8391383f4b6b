/**
 * Added latency one request at a time (scenario 1's measurement), A/B: starts the mock (core 1) and
 * modelgate's bundle (core 0), warms both up as the harness does (a c=8 burst, then sequential calls),
 * then runs rounds that visit `direct`, the current gateway and, with `--baseline <bundle.mjs>`, a
 * second gateway running that bundle, in a fresh random order each round. Prints each variant's added
 * p50 and p99 (variant minus `direct` in the same round, median over rounds) and how many of its calls
 * took over 2 ms, against `direct`'s own count: the tail a change moves, beside the tail of the rig.
 *
 * Both gateways run with the node flags of the `modelgate` command (bench/lib/launcher-flags.ts);
 * `--node-flags "..."` adds flags to the current one, and `--bare-baseline` starts the baseline without
 * the launcher's, so `--baseline dist/modelgate.mjs --bare-baseline` measures what those flags do.
 *
 * With `--redis`, a second modelgate sharing its state through a real redis-server joins the rounds as
 * `redis` (the `modelgate/connect-h1+redis` lane): issue 16's budget is its added p50 within 0.3 ms of
 * `current`'s, which runs on memory, in the same run.
 *
 * With `--redis --request-ids`, the Redis gateway is also called with a fresh `x-request-id` per call
 * (`redis+ids`): each call is claimed and recorded for idempotency and resuming (src/replay/), so its
 * p50 over `redis` is what the idempotency check costs.
 *
 * With `--auth`, a modelgate that requires a caller key (a static key with a rate, token and budget
 * policy; limits in memory, or in Redis with `--redis`) joins as `auth`, called with that key: what authentication and limits cost.
 * With `--auth --request-ids` it is also called with the key and a fresh id per call (`auth+ids`): the
 * limit check and the claim share one round trip. With `--redis --auth`, a second guarded modelgate on
 * memory joins (`auth-memory`, `auth-memory+ids`): each Redis lane's p50 over its memory twin is the round
 * trip's cost, held to issue 16's 0.3 ms.
 * With `--no-metrics`, one with `server.metrics: false` joins as `no-metrics`: what the call records'
 * Prometheus counting costs (`current` minus it).
 *
 * With `--floor`, bench/floor-server.ts (node:http -> undici -> mock, nothing else) joins the rounds,
 * driven over Connect on HTTP/1.1: what any out-of-process gateway adds here.
 *
 *   npx tsx bench/one-at-a-time.ts [--target modelgate/connect-h1] [--rounds 7] [--calls 300]
 *                                  [--baseline path/to/modelgate.mjs] [--node-flags "--flag"] [--bare-baseline] [--floor] [--redis [--request-ids]] [--auth] [--no-metrics]
 */
import { createHash, randomBytes } from "node:crypto";
import { mkdtempSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { argument } from "./lib/cli.js";
import { createConnectHttp1Client } from "./lib/clients.js";
import { closedLoop, sequential } from "./lib/load.js";
import { pinProcess, pinSelf, stopProcess } from "./lib/processes.js";
import { startRedis, type RedisSetup } from "./lib/redis-servers.js";
import { percentile, seededRandom, shuffle } from "./lib/stats.js";
import { startFloor, startGateway, startMock, targetsFor, type Gateway, type Target } from "./lib/targets.js";

const targetName = argument("target", "modelgate/connect-h1");
const rounds = Number(argument("rounds", "7"));
const calls = Number(argument("calls", "300"));
const baselineBundle = argument("baseline", "");
const nodeFlags = argument("node-flags", "").split(" ").filter((flag) => flag !== "");

pinSelf(1);
const directory = mkdtempSync(path.join(os.tmpdir(), "modelgate-one-at-a-time-"));
const mock = await startMock(directory);
const gateways: Gateway[] = [];
let redis: RedisSetup | undefined;

function pick(gateway: Gateway, name: string): Target {
  const target = targetsFor(gateway, mock.port).find((candidate) => candidate.name === name);
  if (target === undefined) throw new Error(`no target ${name}`);
  return target;
}

try {
  const variants: { label: string; target: Target }[] = [{ label: "direct", target: pick(mock, "direct") }];
  const current = await startGateway("modelgate", mock.port, directory, { nodeFlags });
  gateways.push(current);
  variants.push({ label: "current", target: pick(current, targetName) });
  if (process.argv.includes("--request-ids")) {
    // The memory gateway called with a fresh x-request-id per call: the idempotency claim without Redis.
    const origin = `http://127.0.0.1:${current.port}`;
    variants.push({ label: "ids", target: { name: targetName, gateway: "modelgate", protocol: "connect-json-http1", client: createConnectHttp1Client(origin, { requestIds: true }) } });
  }
  if (baselineBundle !== "") {
    const baseline = await startGateway("modelgate", mock.port, mkdtempSync(path.join(os.tmpdir(), "modelgate-one-at-a-time-baseline-")), {
      bundle: path.resolve(baselineBundle),
      launcherFlags: !process.argv.includes("--bare-baseline"),
    });
    gateways.push(baseline);
    variants.push({ label: "baseline", target: pick(baseline, targetName) });
  }
  if (process.argv.includes("--redis")) {
    redis = await startRedis();
    // Beside the mock and the load generator, off the gateway's core, as a Redis on its own host would be.
    pinProcess(redis.nodes[0].process.pid, 1);
    const shared = await startGateway("modelgate", mock.port, mkdtempSync(path.join(os.tmpdir(), "modelgate-one-at-a-time-redis-")), {
      nodeFlags,
      redisUrl: redis.nodes[0].url,
    });
    gateways.push(shared);
    variants.push({ label: "redis", target: pick(shared, targetName) });
    if (process.argv.includes("--request-ids")) {
      // The same Redis gateway, called with a fresh x-request-id per call: the idempotency claim's cost.
      const origin = `http://127.0.0.1:${shared.port}`;
      variants.push({ label: "redis+ids", target: { name: targetName, gateway: "modelgate", protocol: "connect-json-http1", client: createConnectHttp1Client(origin, { requestIds: true }) } });
    }
  }
  if (process.argv.includes("--auth")) {
    const key = `mgk_${randomBytes(32).toString("base64url")}`;
    const sha256 = createHash("sha256").update(key).digest("hex");
    const policy = "{ requestsPerMinute: 1000000, tokensPerMinute: 1000000000, dailyBudgetUsd: 1000000 }";
    /** A modelgate that requires `key`, with its limits in memory or in `redisUrl`; called as `label` (and `label+ids` with --request-ids). */
    const startGuarded = async (label: string, redisUrl: string | undefined): Promise<void> => {
      const guarded = await startGateway("modelgate", mock.port, mkdtempSync(path.join(os.tmpdir(), `modelgate-one-at-a-time-${label}-`)), {
        nodeFlags,
        extraYaml: `auth:\n  keys:\n    - { id: bench, sha256: ${sha256}, policy: ${policy} }\n`,
        redisUrl,
        probeHeaders: { authorization: `Bearer ${key}` },
      });
      gateways.push(guarded);
      const origin = `http://127.0.0.1:${guarded.port}`;
      const headers = { authorization: `Bearer ${key}` };
      variants.push({ label, target: { name: targetName, gateway: "modelgate", protocol: "connect-json-http1", client: createConnectHttp1Client(origin, { headers }) } });
      if (process.argv.includes("--request-ids")) {
        // A limited caller that names every request: the limit check and the id's claim, sent together.
        const client = createConnectHttp1Client(origin, { headers, requestIds: true });
        variants.push({ label: `${label}+ids`, target: { name: targetName, gateway: "modelgate", protocol: "connect-json-http1", client } });
      }
    };
    // With --redis, keys and limits live in that Redis (the limit check is then one round trip), and a
    // second guarded gateway on memory runs beside it, so the round trip's own cost can be told apart.
    await startGuarded("auth", redis?.nodes[0].url);
    if (redis !== undefined) await startGuarded("auth-memory", undefined);
  }
  if (process.argv.includes("--no-metrics")) {
    const plain = await startGateway("modelgate", mock.port, mkdtempSync(path.join(os.tmpdir(), "modelgate-one-at-a-time-no-metrics-")), {
      nodeFlags,
      serverSettings: { metrics: false },
    });
    gateways.push(plain);
    variants.push({ label: "no-metrics", target: pick(plain, targetName) });
  }
  if (process.argv.includes("--floor")) {
    const floor = await startFloor(mock.port, directory);
    gateways.push(floor);
    variants.push({ label: "floor", target: { name: "floor/connect-h1", gateway: "null", protocol: "connect-json-http1", client: createConnectHttp1Client(`http://127.0.0.1:${floor.port}`) } });
  }
  for (const { target } of variants) {
    await closedLoop(() => target.client.unary("mock-instant"), 8, 3_000);
    await sequential(() => target.client.unary("mock-instant"), 500, 10_000);
  }

  const random = seededRandom(6);
  const latencies = new Map<string, number[][]>(variants.map(({ label }) => [label, []]));
  for (let round = 0; round < rounds; round++) {
    for (const { label, target } of shuffle(variants, random)) {
      latencies.get(label)?.push(await sequential(() => target.client.unary("mock-instant"), calls, 60_000));
    }
  }

  const direct = latencies.get("direct") ?? [];
  const slow = (runs: number[][]): number => runs.flat().filter((latency) => latency > 2).length;
  process.stdout.write(`${targetName}, ${rounds} rounds x ${calls} calls; current with the launcher's node flags${nodeFlags.length > 0 ? ` and ${nodeFlags.join(" ")}` : ""}, baseline ${process.argv.includes("--bare-baseline") ? "without them" : "with them"}\n`);
  process.stdout.write(`direct: p50 ${percentile(direct.map((run) => percentile(run, 50)), 50).toFixed(3)} ms, ${slow(direct)} calls over 2 ms\n`);
  for (const { label } of variants.slice(1)) {
    const runs = latencies.get(label) ?? [];
    const added = (p: number): number => percentile(runs.map((run, index) => percentile(run, p) - percentile(direct[index] ?? [], p)), 50);
    process.stdout.write(`${label}: added p50 ${added(50).toFixed(3)} ms, added p99 ${added(99).toFixed(3)} ms, ${slow(runs)} calls over 2 ms\n`);
  }
  // Per round: one lane's p50 minus another's, median over rounds (both ran in the same round).
  const p50Over = (label: string, over: string): number => {
    const runs = latencies.get(label) ?? [];
    const reference = latencies.get(over) ?? [];
    return percentile(runs.map((run, index) => percentile(run, 50) - percentile(reference[index] ?? [], 50)), 50);
  };
  if (redis !== undefined) {
    const cost = p50Over("redis", "current");
    process.stdout.write(`${targetName}+redis: p50 ${cost.toFixed(3)} ms over the memory lane (budget 0.3 ms): ${cost <= 0.3 ? "within" : "OVER"}\n`);
  }
  if (latencies.has("ids")) process.stdout.write(`idempotency claim (memory): p50 ${p50Over("ids", "current").toFixed(3)} ms over calls without an id\n`);
  if (latencies.has("redis+ids")) {
    process.stdout.write(`idempotency claim (Redis): p50 ${p50Over("redis+ids", "redis").toFixed(3)} ms over calls without an id\n`);
    const cost = p50Over("redis+ids", "ids");
    process.stdout.write(`idempotency claim, Redis over memory: p50 ${cost.toFixed(3)} ms (budget 0.3 ms, one round trip): ${cost <= 0.3 ? "within" : "OVER"}\n`);
  }
  if (latencies.has("auth")) {
    const over = redis === undefined ? "current" : "redis";
    process.stdout.write(`auth + limits${redis === undefined ? "" : " (in Redis)"}: p50 ${p50Over("auth", over).toFixed(3)} ms over no auth\n`);
  }
  if (latencies.has("auth-memory")) {
    // The budget is for the round trip: the same calls on Redis minus on memory, run in the same rounds.
    const report = (label: string, what: string): void => {
      const cost = p50Over(label, label.replace("auth", "auth-memory"));
      process.stdout.write(`${what}, Redis over memory: p50 ${cost.toFixed(3)} ms (budget 0.3 ms, one round trip): ${cost <= 0.3 ? "within" : "OVER"}\n`);
    };
    process.stdout.write(`auth + limits (in memory): p50 ${p50Over("auth-memory", "current").toFixed(3)} ms over no auth\n`);
    report("auth", "auth + limits");
    if (latencies.has("auth+ids")) {
      process.stdout.write(`auth + limits + idempotency claim (in memory): p50 ${p50Over("auth-memory+ids", "current").toFixed(3)} ms over no auth, no id\n`);
      report("auth+ids", "auth + limits + idempotency claim (sent together)");
    }
  }
  if (latencies.has("no-metrics")) process.stdout.write(`metrics: p50 ${p50Over("current", "no-metrics").toFixed(3)} ms over metrics off\n`);
  for (const { target } of variants) await target.client.close();
} finally {
  for (const gateway of gateways) await stopProcess(gateway.started);
  await stopProcess(mock.started);
  await redis?.stop();
}
