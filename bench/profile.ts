/**
 * Where a gateway's CPU goes under load: starts the mock upstream (core 1) and modelgate (core 0) with
 * `--cpu-prof`, drives one target in a closed loop from core 1, stops the gateway (which writes the
 * profile) and prints self time by package and by function over the loaded window, with the gateway's
 * CPU time per request read from /proc. The figures behind docs/benchmarks.md's "Where the time goes".
 *
 * With `--stream` the calls are StreamComplete (give a streaming `--model`, e.g. mock-stream-32-0).
 *
 *   npx tsx bench/profile.ts [--target modelgate/connect-h1] [--seconds 8] [--concurrency 8] [--model mock-instant] [--warmup-seconds 3] [--bundle] [--stream]
 */
import { mkdtempSync, readdirSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { closedLoop } from "./lib/load.js";
import { pinSelf, stopProcess } from "./lib/processes.js";
import { startGateway, startMock, targetsFor } from "./lib/targets.js";
import { formatProfileSummary, summariseProfile } from "./profile-summary.js";
import { argument, cpuMs } from "./lib/cli.js";

const targetName = argument("target", "modelgate/connect-h1");
const seconds = Number(argument("seconds", "8"));
const concurrency = Number(argument("concurrency", "8"));
const model = argument("model", "mock-instant");
// `--bundle`: profile dist/modelgate.mjs as production runs it (functions then carry bundle line numbers).
const fromSource = !process.argv.includes("--bundle");
const warmupMs = Number(argument("warmup-seconds", "3")) * 1_000;
const streaming = process.argv.includes("--stream");

pinSelf(1);
const directory = mkdtempSync(path.join(os.tmpdir(), "modelgate-profile-"));
const profileDirectory = path.join(directory, "profile");
const mock = await startMock(directory);
const gateway = await startGateway("modelgate", mock.port, directory, { nodeFlags: ["--cpu-prof", `--cpu-prof-dir=${profileDirectory}`], fromSource });
const target = targetsFor(gateway, mock.port).find((candidate) => candidate.name === targetName);
try {
  if (target === undefined) throw new Error(`no target ${targetName}; try modelgate/connect-h1, modelgate/connect-h2c, modelgate/grpc`);
  const call = streaming ? () => target.client.stream(model).then(() => undefined) : () => target.client.unary(model);
  await closedLoop(call, Math.max(8, concurrency), warmupMs);
  const before = cpuMs(gateway.started.child.pid);
  const load = await closedLoop(call, concurrency, seconds * 1_000);
  const used = cpuMs(gateway.started.child.pid) - before;
  process.stdout.write(
    `${targetName}, ${model}, c=${concurrency}, ${seconds} s: ${load.requestsPerSecond.toFixed(0)} req/s, p50 ${load.p50Ms.toFixed(2)} ms, ` +
      `p99 ${load.p99Ms.toFixed(2)} ms, ${load.errors} errors; gateway CPU ${(used / load.requests).toFixed(3)} ms per request ` +
      `(profiler on: it adds its own cost)\n\n`,
  );
} finally {
  await target?.client.close();
  await stopProcess(gateway.started);
  await stopProcess(mock.started);
}
const file = readdirSync(profileDirectory).find((name) => name.endsWith(".cpuprofile"));
if (file === undefined) throw new Error(`the gateway wrote no profile into ${profileDirectory}`);
process.stdout.write(`${formatProfileSummary(summariseProfile(path.join(profileDirectory, file), seconds - 1))}\n\nprofile: ${path.join(profileDirectory, file)}\n`);
