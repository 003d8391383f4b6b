/**
 * The benchmark harness: `npx tsx bench/run.ts --mode full|quick|smoke`.
 * Starts the mock upstream (core 1) and each gateway (core 0), runs the scenarios of
 * ../shared/docs/benchmarking.md, prints a short table, and (full and quick) writes a JSON result to
 * bench/results/ plus bench/RESULTS.md with a chart. See docs/benchmarks.md.
 * `npx tsx bench/run.ts --report bench/results/<file>.json` rewrites the report from a saved result.
 */
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { setTimeout as sleep } from "node:timers/promises";
import { collectMetadata } from "./lib/metadata.js";
import { planFor, type Mode } from "./lib/plan.js";
import { canPin, pinSelf, sampleRss, stopProcess } from "./lib/processes.js";
import { consoleSummary, writeReport, type BenchResult, type GatewayStatus } from "./lib/report.js";
import { runLatency, runTtft } from "./lib/scenarios-latency.js";
import { frontierOf, rssNow, runCapacity, runFixedRate, runManyStreams, type LoadCell, type MemoryFigures } from "./lib/scenarios-load.js";
import { seededRandom } from "./lib/stats.js";
import { warmUp } from "./lib/warm-up.js";
import { buildGrpcLoad, grpcGoAvailable } from "./lib/grpc-load.js";
import { benchDirectory, buildBundles, startGateway, startMock, targetsFor, unavailableReason, type Gateway, type Target } from "./lib/targets.js";

function argument(name: string): string | undefined {
  const index = process.argv.indexOf(`--${name}`);
  return index > 0 ? process.argv[index + 1] : undefined;
}

// `--report <result.json>` rewrites bench/RESULTS.md and the chart from a saved result, without running.
const saved = argument("report");
if (saved !== undefined) {
  const result = JSON.parse(readFileSync(saved, "utf8")) as BenchResult;
  writeReport(result, path.relative(benchDirectory, path.resolve(saved)));
  console.log(consoleSummary(result));
  process.exit(0);
}

const mode = (argument("mode") ?? "quick") as Mode;
if (!["full", "quick", "smoke"].includes(mode)) throw new Error(`--mode must be full, quick or smoke, not ${mode}`);
const plan = planFor(mode);
const seed = Number(argument("seed") ?? Date.now() % 1_000_000);
const random = seededRandom(seed);
const began = performance.now();
const overBudget = (): boolean => performance.now() - began > plan.budgetMs;
const log = (line: string): void => console.error(`[bench ${((performance.now() - began) / 1000).toFixed(1)}s] ${line}`);

pinSelf(1);
const metadata = collectMetadata(canPin);
const logDirectory = mkdtempSync(path.join(os.tmpdir(), "modelgate-bench-"));
const gateways: Gateway[] = [];
const statuses: GatewayStatus[] = [];
const targets: Target[] = [];
let exitCode = 0;

// Every child this harness starts is stopped on the way out, whatever happens.
async function shutdown(): Promise<void> {
  for (const target of targets) await target.client.close().catch(() => undefined);
  for (const gateway of gateways) await stopProcess(gateway.started);
}
process.on("SIGINT", () => void shutdown().then(() => process.exit(130)));
process.on("SIGTERM", () => void shutdown().then(() => process.exit(143)));

try {
  log(`mode ${mode}, seed ${seed}, logs in ${logDirectory}${canPin ? "" : " (taskset missing: not pinned)"}`);
  // The gateway and the null server run from bundles built from the current source (startGateway would
  // build them too; doing it first keeps the build out of the gateways' start-up timeouts).
  log(`built dist/modelgate.mjs and dist/bench/null-server.mjs in ${Math.round(await buildBundles())} ms`);
  // The gRPC load generator (scenario 1 and 3's gRPC rows), built before any timing starts (a cold Go
  // cache takes a while).
  if (grpcGoAvailable()) {
    const goStarted = performance.now();
    await buildGrpcLoad();
    log(`built bench/grpc-load in ${Math.round(performance.now() - goStarted)} ms`);
  }
  const mock = await startMock(logDirectory);
  gateways.push(mock);
  targets.push(...targetsFor(mock, mock.port));
  const wanted = plan.gateways.filter((name) => {
    const reason = unavailableReason(name);
    if (reason !== undefined) statuses.push({ gateway: name, status: reason });
    return reason === undefined;
  });
  const startedGateways = await Promise.allSettled(wanted.map((name) => startGateway(name, mock.port, logDirectory)));
  startedGateways.forEach((outcome, index) => {
    const name = wanted[index] ?? "modelgate";
    if (outcome.status === "fulfilled") {
      gateways.push(outcome.value);
      targets.push(...targetsFor(outcome.value, mock.port));
      statuses.push({ gateway: name, status: "ran" });
    } else {
      const reason = outcome.reason instanceof Error ? outcome.reason.message : String(outcome.reason);
      statuses.push({ gateway: name, status: `skipped: failed to start: ${reason.split("\n")[0] ?? ""}` });
      log(`${name} failed to start:\n${reason}`);
      if (mode === "smoke") exitCode = 1;
    }
  });
  log(`targets: ${targets.map((target) => target.name).join(", ")}`);

  log(`warm-up: ${plan.warmup.unaryMs} ms of unary calls and ${plan.warmup.streamMs} ms of streams per target, c=8`);
  const warmupCalls = await warmUp(plan, targets, log);
  log("scenario 1: added latency, one request at a time");
  const latency = await runLatency(plan, targets, random);
  log("scenario 2: added time to first token");
  // The null handler streams without an upstream: its figures are the framework's floor for the instant rows.
  const ttft = await runTtft(plan, targets, random);

  const capacity: LoadCell[] = [];
  const fixedRate: LoadCell[] = [];
  const memory: MemoryFigures[] = [];
  const skippedForTime: string[] = [];
  if (plan.capacity !== undefined || plan.fixedRate !== undefined) {
    for (const gateway of gateways) {
      if (overBudget()) {
        skippedForTime.push(gateway.name);
        continue;
      }
      const own = targets.filter((target) => target.gateway === gateway.name);
      const idleMiB = rssNow(gateway);
      const sampler = sampleRss(gateway.started.child.pid, 100);
      for (const target of own) {
        if (plan.capacity !== undefined) {
          log(`scenario 3: capacity of ${target.name}`);
          capacity.push(...(await runCapacity(plan.capacity, target, overBudget)));
        }
        if (plan.fixedRate !== undefined && gateway.name !== "null") {
          log(`scenario 4: fixed rates against the 60 ms mock, ${target.name}`);
          fixedRate.push(...(await runFixedRate(plan.fixedRate, target, overBudget)));
        }
      }
      const peakMiB = sampler.stop();
      if (plan.memory !== undefined && gateway.name !== "mock") {
        await sleep(plan.memory.afterMs);
        const figures: MemoryFigures = { gateway: gateway.name, idleMiB, peakMiB, afterMiB: rssNow(gateway), afterMs: plan.memory.afterMs };
        if (gateway.name !== "null" && !overBudget()) {
          log(`scenario 5: ${plan.memory.streams} streams open at once on ${gateway.name}`);
          const [first] = targetsFor(gateway, mock.port, plan.memory.streams + 16);
          if (first !== undefined) {
            Object.assign(figures, await runManyStreams(gateway, first, plan.memory.streams, plan.memory.streamModel, plan.memory.timeLimitMs));
            await first.client.close();
          }
        }
        memory.push(figures);
      }
    }
  }

  const result: BenchResult = {
    mode,
    seed,
    metadata: { ...metadata, loadAverageAtEnd: os.loadavg(), durationSeconds: (performance.now() - began) / 1000 },
    gateways: statuses,
    targets: targets.map((target) => ({ name: target.name, gateway: target.gateway, protocol: target.protocol })),
    latency,
    ttft,
    capacity,
    frontier: [...new Set(capacity.map((entry) => entry.target))].map((name) => frontierOf(name, capacity.filter((entry) => entry.target === name))),
    fixedRate,
    memory,
    skippedForTime,
    warmup: { ...plan.warmup, calls: Object.fromEntries(warmupCalls), concurrency: 8 },
  };
  console.log(consoleSummary(result));
  if (mode !== "smoke") {
    const resultsDirectory = path.join(benchDirectory, "results");
    mkdirSync(resultsDirectory, { recursive: true });
    const file = path.join(resultsDirectory, `${metadata.startedAt.replace(/[:.]/g, "-")}-${mode}.json`);
    writeFileSync(file, `${JSON.stringify(result, null, 2)}\n`);
    writeReport(result, path.relative(benchDirectory, file));
    log(`wrote ${path.relative(process.cwd(), file)}, bench/RESULTS.md and bench/results/chart.png`);
  }
  // Smoke exists to catch a harness (or gateway) that no longer works: any failed request fails it.
  if (mode === "smoke" && result.latency.figures.some((figure) => figure.error !== undefined || figure.p50Ms.n === 0)) exitCode = 1;
  if (mode === "smoke" && [...result.ttft.paced.figures, ...result.ttft.instant.figures].some((figure) => figure.errors > 0 || figure.wrongDeltaCount > 0)) exitCode = 1;
} catch (error) {
  log(`failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  exitCode = 1;
} finally {
  await shutdown();
}
log(`done in ${((performance.now() - began) / 1000).toFixed(1)} s`);
process.exit(exitCode);
