/**
 * Steady-state gateway CPU per request, for optimisation work: starts the mock (core 1) and modelgate from
 * its bundle (core 0), warms every target up, then runs closed-loop windows and prints req/s, p50/p99 and
 * the gateway's CPU per request (from /proc, no profiler attached).
 *
 * With `--baseline <bundle.mjs>` (a bundle built from another commit: `npx tsx scripts/build.ts --outdir
 * DIR` in a worktree of it), a second gateway runs that bundle and the windows alternate between the two,
 * one at a time, so machine noise hits both alike; the last line is the ratio of their median CPU per
 * request. A single window's figure swings by ±20 % on this 2-core machine; the paired ratio does not.
 *
 * With `--floor`, bench/floor-server.ts (node:http → undici → mock, nothing else) runs as a third variant
 * on core 0 and is driven like modelgate/connect-h1: the CPU per call any gateway needs on this rig.
 *
 * With `--stream` the calls are StreamComplete (give a streaming `--model`, e.g. mock-stream-32-20), so
 * the figure is the CPU per stream: the per-delta path's cost, paired the same way.
 *
 *   npx tsx bench/steady.ts [--targets modelgate/connect-h1,modelgate/grpc] [--seconds 3] [--concurrency 8]
 *                           [--repeat 5] [--warmup-seconds 5] [--baseline path/to/modelgate.mjs] [--floor]
 *                           [--stream] [--model mock-instant] [--node-flags "--max-semi-space-size=16"] [--env "MALLOC_ARENA_MAX=2"] [--bare-baseline]
 *
 * Both gateways run with the node flags of the `modelgate` command (bench/lib/launcher-flags.ts);
 * `--bare-baseline` starts the baseline without them, so `--baseline dist/modelgate.mjs --bare-baseline`
 * measures what those flags do.
 */
import { mkdtempSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { closedLoop } from "./lib/load.js";
import { createConnectHttp1Client } from "./lib/clients.js";
import { pinSelf, stopProcess, treeRssMiB } from "./lib/processes.js";
import { percentile } from "./lib/stats.js";
import { startFloor, startGateway, startMock, targetsFor, type Gateway, type Target } from "./lib/targets.js";
import { argument, cpuMs, parseAssignments } from "./lib/cli.js";

const wanted = argument("targets", "modelgate/connect-h1").split(",");
const seconds = Number(argument("seconds", "3"));
const concurrency = Number(argument("concurrency", "8"));
const repeat = Number(argument("repeat", "5"));
const warmupMs = Number(argument("warmup-seconds", "5")) * 1_000;
const model = argument("model", "mock-instant");
const streaming = process.argv.includes("--stream");
const call = (target: Target): Promise<unknown> => (streaming ? target.client.stream(model) : target.client.unary(model));
const baselineBundle = argument("baseline", "");
// `--node-flags "--max-semi-space-size=16"`: node flags for the current gateway only, so that
// `--baseline dist/modelgate.mjs` compares one bundle with and without them.
const nodeFlags = argument("node-flags", "").split(" ").filter((flag) => flag !== "");
// `--env "MALLOC_ARENA_MAX=2"`: environment variables for the current gateway only, the same A/B.
const environment = parseAssignments(argument("env", "").split(" "));

pinSelf(1);
const directory = mkdtempSync(path.join(os.tmpdir(), "modelgate-steady-"));
const mock = await startMock(directory);
const variants: { label: string; gateway: Gateway; targets: Target[] }[] = [];
const current = await startGateway("modelgate", mock.port, directory, { nodeFlags, env: environment });
variants.push({ label: "current", gateway: current, targets: [...targetsFor(mock, mock.port), ...targetsFor(current, mock.port)] });
if (baselineBundle !== "") {
  const baseline = await startGateway("modelgate", mock.port, mkdtempSync(path.join(os.tmpdir(), "modelgate-steady-baseline-")), {
    bundle: path.resolve(baselineBundle),
    launcherFlags: !process.argv.includes("--bare-baseline"),
  });
  variants.push({ label: "baseline", gateway: baseline, targets: targetsFor(baseline, mock.port) });
}
if (process.argv.includes("--floor")) {
  const floor = await startFloor(mock.port, directory);
  // Driven exactly like modelgate/connect-h1, under that name, so `--targets` selects both.
  variants.push({ label: "floor", gateway: floor, targets: [{ name: "modelgate/connect-h1", gateway: "null", protocol: "connect-json-http1", client: createConnectHttp1Client(`http://127.0.0.1:${floor.port}`) }] });
}
const perRequest = new Map<string, number[]>();
try {
  for (const variant of variants) {
    process.stdout.write(`${variant.label}: RSS after start ${treeRssMiB(variant.gateway.started.child.pid).toFixed(1)} MiB\n`);
    for (const target of variant.targets) if (wanted.includes(target.name)) await closedLoop(() => call(target), concurrency, warmupMs);
  }
  for (let round = 0; round < repeat; round++) {
    for (const variant of variants) {
      for (const target of variant.targets.filter((candidate) => wanted.includes(candidate.name))) {
        const pid = target.name === "direct" ? mock.started.child.pid : variant.gateway.started.child.pid;
        const before = cpuMs(pid);
        const load = await closedLoop(() => call(target), concurrency, seconds * 1_000);
        const msPerRequest = (cpuMs(pid) - before) / load.requests;
        const key = `${variant.label} ${target.name}`;
        perRequest.set(key, [...(perRequest.get(key) ?? []), msPerRequest]);
        process.stdout.write(
          `${key.padEnd(32)} c=${concurrency} ${load.requestsPerSecond.toFixed(0).padStart(5)} req/s  p50 ${load.p50Ms.toFixed(2)} ms  ` +
            `p99 ${load.p99Ms.toFixed(2)} ms  errors ${load.errors}  CPU ${msPerRequest.toFixed(3)} ms/req\n`,
        );
      }
    }
  }
  for (const variant of variants) process.stdout.write(`${variant.label}: RSS at end ${treeRssMiB(variant.gateway.started.child.pid).toFixed(1)} MiB\n`);
  for (const name of wanted) {
    const mine = perRequest.get(`current ${name}`);
    const theirs = perRequest.get(`baseline ${name}`);
    const floor = perRequest.get(`floor ${name}`);
    if (mine === undefined) continue;
    let line = `${name}: median CPU ${percentile(mine, 50).toFixed(3)} ms/req`;
    if (theirs !== undefined) line += ` vs baseline ${percentile(theirs, 50).toFixed(3)}: ratio ${(percentile(mine, 50) / percentile(theirs, 50)).toFixed(3)}`;
    if (floor !== undefined) line += `; the floor (bench/floor-server.ts) ${percentile(floor, 50).toFixed(3)}`;
    process.stdout.write(`${line}\n`);
  }
} finally {
  for (const variant of variants) {
    for (const target of variant.targets) await target.client.close();
    await stopProcess(variant.gateway.started);
  }
  await stopProcess(mock.started);
}
