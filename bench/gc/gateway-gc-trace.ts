/**
 * Young-generation GC of the gateway under one-request-at-a-time load: starts the mock (core 1) and
 * modelgate's bundle (core 0) under `--trace-gc-nvp`, warms up, sends sequential Connect calls from
 * core 1, and prints p50/p99 and the last scavenges' pause and promoted bytes. With `--floor`, the same
 * against bench/floor-server.ts (node:http → undici → mock), the baseline that promotes next to nothing.
 *
 * It warms up with 3 s of calls at c=8 by default, or one at a time with `--sequential-warmup` (after a
 * concurrent burst V8 keeps a larger young generation, which changes what each scavenge copies).
 *
 * It also sends the same 2,000 calls straight to the mock (`direct`) and counts, for both, the calls
 * slower than 2 ms (the added-p99 goal) and the gateway's scavenges in its window: what of the tail is
 * the gateway's GC and what the rig's own.
 *
 * The gateway runs with the node flags of the `modelgate` command (bench/lib/launcher-flags.ts), or
 * without them with `--bare`; extra words after `--` are added (e.g. `-- --no-maglev`).
 *
 *   npx tsx bench/gc/gateway-gc-trace.ts [--model mock-instant|echo] [--floor] [--sequential-warmup] [--bare] [-- flags]
 */
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { createConnectHttp1Client, createOpenAIClient } from "../lib/clients.js";
import { closedLoop, sequential } from "../lib/load.js";
import { freePort, pinSelf, startProcess, stopProcess, waitForListening } from "../lib/processes.js";
import { percentile } from "../lib/stats.js";
import { benchDirectory, buildBundles, repositoryDirectory, startMock } from "../lib/targets.js";
import { argument } from "../lib/cli.js";
import { launcherEnvironment, launcherNodeFlags } from "../lib/launcher-flags.js";

const model = argument("model", "mock-instant");
const floor = process.argv.includes("--floor");
pinSelf(1);
const directory = mkdtempSync(path.join(os.tmpdir(), "modelgate-gc-"));
const mock = await startMock(directory);
const port = await freePort();
const logPath = path.join(directory, "gateway.log");
let args: string[];
if (floor) {
  args = ["--import", path.join(repositoryDirectory, "node_modules", "tsx", "dist", "loader.mjs"), path.join(benchDirectory, "floor-server.ts"), "--mock-port", String(mock.port), "--port", String(port)];
} else {
  await buildBundles();
  const config = path.join(directory, "gateway.yaml");
  writeFileSync(
    config,
    [
      "server: { host: 127.0.0.1, port: " + port + ", logLevel: warn, playground: false }",
      `providers: { mock: { kind: openai, baseUrl: "http://127.0.0.1:${mock.port}/v1", apiKey: x }, echo: { kind: echo } }`,
      "deployments: { instant: { provider: mock, model: mock-instant }, echo: { provider: echo, model: echo } }",
      "aliases: { mock-instant: { tiers: [[instant]] } }",
      "",
    ].join("\n"),
  );
  const separator = process.argv.indexOf("--");
  const extraFlags = separator > 0 ? process.argv.slice(separator + 1) : [];
  args = [...(process.argv.includes("--bare") ? [] : launcherNodeFlags()), ...extraFlags, path.join(repositoryDirectory, "dist", "modelgate.mjs"), "--config", config];
}
const gateway = startProcess("gateway", process.execPath, ["--trace-gc-nvp", ...args], {
  core: 0,
  cwd: repositoryDirectory,
  logPath,
  env: process.argv.includes("--bare") ? {} : launcherEnvironment(),
});
const client = createConnectHttp1Client(`http://127.0.0.1:${port}`);
const direct = createOpenAIClient(`http://127.0.0.1:${mock.port}`, { connections: 8 });
const scavengeCount = (): number => readFileSync(logPath, "utf8").split("\n").filter((line) => line.includes("gc=s")).length;
const slowerThan2Ms = (latencies: number[]): number => latencies.filter((latency) => latency > 2).length;
try {
  if (floor) await waitForListening(gateway, 20_000);
  else await new Promise((resolve) => setTimeout(resolve, 2_000));
  await closedLoop(() => client.unary(model), process.argv.includes("--sequential-warmup") ? 1 : 8, 3_000);
  const directLatencies = await sequential(() => direct.unary("mock-instant"), 2_000, 30_000);
  process.stdout.write(
    `direct: p50 ${percentile(directLatencies, 50).toFixed(3)} ms, p99 ${percentile(directLatencies, 99).toFixed(3)} ms, ${slowerThan2Ms(directLatencies)} of 2000 calls over 2 ms\n`,
  );
  const scavengesBefore = scavengeCount();
  const latencies = await sequential(() => client.unary(model), 2_000, 30_000);
  process.stdout.write(
    `${floor ? "floor" : `modelgate (${model})`}: p50 ${percentile(latencies, 50).toFixed(3)} ms, p99 ${percentile(latencies, 99).toFixed(3)} ms, ` +
      `${slowerThan2Ms(latencies)} of 2000 calls over 2 ms, ${scavengeCount() - scavengesBefore} scavenges meanwhile\n`,
  );
  const scavenges = readFileSync(logPath, "utf8").split("\n").filter((line) => line.includes("gc=s")).slice(-3);
  for (const line of scavenges) {
    process.stdout.write(`  ${line.split(" ").filter((field) => /^(pause|allocated|promoted)=/.test(field)).join(" ")}\n`);
  }
} finally {
  await client.close();
  await direct.close();
  await stopProcess(gateway);
  await stopProcess(mock.started);
}
