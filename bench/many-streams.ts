/**
 * Many long streams at once (issue 15, item 4): N clients each open a 2 s stream (20 deltas, 100 ms
 * apart) at a steady rate, and the lane reports how many completed, time to first token against the
 * upstream reached directly, and the gateway's peak RSS, with Portkey beside modelgate.
 *
 *   npx tsx bench/many-streams.ts [--n 1000,3000,10000] [--targets direct,modelgate,portkey]
 *     [--open-rate 2000] [--model mock-stream-20-100] [--bundle <modelgate.mjs>] [--pool maxConnections=64,...]
 *     [--out <file.json>] [--cpu-prof]
 *
 * Each (N, target) run gets a fresh mock upstream and a fresh gateway, so one run's sockets in TIME_WAIT,
 * warm pools or grown heap never flatter or burden the next. modelgate runs from its bundle with the
 * bench config (bench/modelgate.bench.yaml: no pool settings, so the defaults are what is measured) and
 * is reached over Connect JSON on HTTP/1.1, one connection per stream, as Portkey and the mock are.
 * Streams open `--open-rate` per second (N = 1,000 in half a second, 10,000 over 5 s); each one's TTFT
 * runs from its scheduled open time, so a late open (a busy load generator) shows as latency instead of
 * hiding (no coordinated omission). The gateway runs on core 0, the mock and this process on core 1.
 * `--bundle` runs another modelgate bundle (e.g. one built from an older commit) for an A/B, `--pool` sets
 * modelgate's pool settings for the mock's provider instead of the defaults, and `--cpu-prof`
 * profiles modelgate (from source, so frames name their files) and prints where its CPU went.
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { setTimeout as sleep } from "node:timers/promises";
import { argument, cpuMs } from "./lib/cli.js";
import { collectMetadata } from "./lib/metadata.js";
import { canPin, pinSelf, sampleRss, stopProcess } from "./lib/processes.js";
import { percentile, round } from "./lib/stats.js";
import { formatProfileSummary, summariseProfile } from "./profile-summary.js";
import { benchDirectory, buildBundles, startGateway, startMock, targetsFor, unavailableReason, type Gateway, type GatewayName } from "./lib/targets.js";

type TargetName = "direct" | "modelgate" | "portkey";

/** One run: N streams through one target. */
interface ManyStreamsRun {
  target: TargetName;
  streams: number;
  /** How long opening all of them took, as scheduled. */
  openOverMs: number;
  completed: number;
  completedPercent: number;
  /** Time to the first content delta from each stream's scheduled open, over the streams that got one. */
  ttftP50Ms: number;
  ttftP99Ms: number;
  /** Open to the last byte, over completed streams. */
  totalP50Ms: number;
  totalP99Ms: number;
  /** Peak RSS of the gateway's process tree during the run (the mock's for `direct`). */
  peakRssMiB: number;
  /** Failed streams by error message (first 120 characters). */
  errors: Record<string, number>;
  /** Streams still open when the time limit passed. */
  unfinished: number;
  /** CPU time the gateway (or the mock, for `direct`) used during the run. */
  cpuSeconds: number;
  /** modelgate: its deployment's breaker state and recorded failures after the run. */
  breaker?: { state: string; failures: number };
  seconds: number;
  skipped?: string;
}

const counts = argument("n", "1000,3000")
  .split(",")
  .map((value) => Number(value.trim()))
  .filter((value) => Number.isInteger(value) && value > 0);
const targetNames = argument("targets", "direct,modelgate,portkey")
  .split(",")
  .map((value) => value.trim()) as TargetName[];
const openRate = Number(argument("open-rate", "2000"));
const model = argument("model", "mock-stream-20-100");
const bundle = argument("bundle", "");
const profile = process.argv.includes("--cpu-prof");
const warmUpStreams = Number(argument("warm-up", "20"));
const poolSettings = Object.fromEntries(
  argument("pool", "")
    .split(",")
    .filter((entry) => entry.includes("="))
    .map((entry) => [entry.slice(0, entry.indexOf("=")).trim(), Number(entry.slice(entry.indexOf("=") + 1))]),
);
const expectedDeltas = Number(/^mock-stream-(\d+)-/.exec(model)?.[1] ?? Number.NaN);
const began = performance.now();
const log = (line: string): void => console.error(`[many-streams ${((performance.now() - began) / 1000).toFixed(1)}s] ${line}`);

/** Opens `count` streams at `openRate` per second on `target` and waits for them, at most `limitMs` after the last open. */
async function drive(
  stream: () => Promise<{ firstContentMs: number | undefined; deltaTimesMs: number[]; totalMs: number }>,
  count: number,
  limitMs: number,
): Promise<Omit<ManyStreamsRun, "target" | "streams" | "peakRssMiB" | "cpuSeconds" | "seconds">> {
  const ttfts: number[] = [];
  const totals: number[] = [];
  const errors: Record<string, number> = {};
  let completed = 0;
  let settled = 0;
  const gapMs = 1_000 / openRate;
  const origin = performance.now();
  const pending: Promise<void>[] = [];
  for (let index = 0; index < count; index++) {
    const scheduledAt = origin + index * gapMs;
    const wait = scheduledAt - performance.now();
    // Sleep only when a few ms are due: timers are coarse, and a batch opened together is still on schedule.
    if (wait > 4) await sleep(wait);
    const lateMs = performance.now() - scheduledAt;
    pending.push(
      stream().then(
        (result) => {
          settled++;
          if (result.firstContentMs !== undefined) ttfts.push(result.firstContentMs + lateMs);
          if (result.deltaTimesMs.length === expectedDeltas) {
            completed++;
            totals.push(result.totalMs + lateMs);
          } else {
            const key = `wrong delta count: ${result.deltaTimesMs.length}`;
            errors[key] = (errors[key] ?? 0) + 1;
          }
        },
        (error: unknown) => {
          settled++;
          const key = (error instanceof Error ? error.message : String(error)).slice(0, 120);
          errors[key] = (errors[key] ?? 0) + 1;
        },
      ),
    );
  }
  const openOverMs = performance.now() - origin;
  await Promise.race([Promise.all(pending), sleep(limitMs)]);
  return {
    openOverMs,
    completed,
    completedPercent: (100 * completed) / count,
    ttftP50Ms: percentile(ttfts, 50),
    ttftP99Ms: percentile(ttfts, 99),
    totalP50Ms: percentile(totals, 50),
    totalP99Ms: percentile(totals, 99),
    errors,
    unfinished: count - settled,
  };
}

/** CPU time of a process in ms (taskset execs the program, so its pid is the program's); NaN when unreadable. */
function processCpuMs(pid: number | undefined): number {
  try {
    return cpuMs(pid);
  } catch {
    return Number.NaN;
  }
}

/** The bench deployment's breaker state and failure count, read over Connect JSON; undefined if unreadable. */
async function breakerAfter(port: number): Promise<{ state: string; failures: number } | undefined> {
  try {
    const response = await fetch(`http://127.0.0.1:${port}/modelgate.v1.GatewayService/GetDeploymentStats`, {
      method: "POST",
      headers: { "content-type": "application/json", "connect-protocol-version": "1" },
      body: JSON.stringify({ deployments: ["stream-many"] }),
    });
    // Connect JSON leaves zero counts out.
    const body = (await response.json()) as { stats?: { breakerState?: string; failures?: string }[] };
    const stats = body.stats?.[0];
    return stats === undefined ? undefined : { state: stats.breakerState ?? "BREAKER_STATE_UNSPECIFIED", failures: Number(stats.failures ?? 0) };
  } catch {
    return undefined;
  }
}

async function runOne(target: TargetName, count: number, logDirectory: string): Promise<ManyStreamsRun> {
  const started = performance.now();
  const empty = { target, streams: count, openOverMs: 0, completed: 0, completedPercent: 0, ttftP50Ms: Number.NaN, ttftP99Ms: Number.NaN, totalP50Ms: Number.NaN, totalP99Ms: Number.NaN, peakRssMiB: Number.NaN, cpuSeconds: Number.NaN, errors: {}, unfinished: 0, seconds: 0 };
  const gatewayName: Exclude<GatewayName, "mock"> | undefined = target === "direct" ? undefined : target;
  const reason = gatewayName === undefined ? undefined : unavailableReason(gatewayName);
  if (reason !== undefined) return { ...empty, skipped: reason };
  const runDirectory = mkdtempSync(path.join(logDirectory, `${target}-${count}-`));
  const processes: Gateway[] = [];
  try {
    const mock = await startMock(runDirectory);
    processes.push(mock);
    let measured: Gateway = mock;
    if (gatewayName !== undefined) {
      const profiling = profile && gatewayName === "modelgate";
      measured = await startGateway(gatewayName, mock.port, runDirectory, {
        ...(bundle === "" ? {} : { bundle }),
        providerSettings: poolSettings,
        ...(profiling ? { fromSource: true, nodeFlags: ["--cpu-prof", `--cpu-prof-dir=${path.join(runDirectory, "profile")}`] } : {}),
      });
      processes.push(measured);
    }
    const all = targetsFor(measured, mock.port, count + 16);
    const chosen = all.find((candidate) => candidate.protocol !== "connect-json-h2c" && candidate.protocol !== "grpc") ?? all[0];
    if (chosen === undefined) throw new Error(`no target for ${target}`);
    for (const other of all) if (other !== chosen) await other.client.close();
    try {
      // A short warm-up on the same connections, so the run measures load, not a cold start.
      await Promise.all(Array.from({ length: warmUpStreams }, () => chosen.client.stream("mock-stream-32-0").catch(() => undefined)));
      await sleep(200);
      const pid = measured.started.child.pid;
      const sampler = sampleRss(pid, 100);
      const cpuBefore = processCpuMs(pid);
      const figures = await drive(() => chosen.client.stream(model), count, 60_000);
      const peakRssMiB = sampler.stop();
      const cpuSeconds = (processCpuMs(pid) - cpuBefore) / 1_000;
      const breaker = target === "modelgate" ? await breakerAfter(measured.port) : undefined;
      return { target, streams: count, ...figures, peakRssMiB, cpuSeconds, ...(breaker === undefined ? {} : { breaker }), seconds: (performance.now() - started) / 1000 };
    } finally {
      await chosen.client.close();
    }
  } catch (error) {
    return { ...empty, skipped: `failed: ${error instanceof Error ? error.message.split("\n")[0] : String(error)}`, seconds: (performance.now() - started) / 1000 };
  } finally {
    for (const running of processes.reverse()) await stopProcess(running.started);
    const profileDirectory = path.join(runDirectory, "profile");
    const file = existsSync(profileDirectory) ? readdirSync(profileDirectory).find((name) => name.endsWith(".cpuprofile")) : undefined;
    if (file !== undefined) console.error(formatProfileSummary(summariseProfile(path.join(profileDirectory, file), 60)));
  }
}

function formatRow(run: ManyStreamsRun, direct: ManyStreamsRun | undefined): string {
  if (run.skipped !== undefined) return `| ${run.streams} | ${run.target} | ${run.skipped} | | | | | | |`;
  const ratio = direct !== undefined && direct.skipped === undefined ? ` (${round(run.ttftP99Ms / direct.ttftP99Ms)}×)` : "";
  const errors = Object.entries(run.errors)
    .map(([message, times]) => `${times}× ${message}`)
    .join("; ");
  const breaker = run.breaker === undefined ? "" : `; breaker ${run.breaker.state.replace("BREAKER_STATE_", "").toLowerCase()}, ${run.breaker.failures} failures`;
  return `| ${run.streams} | ${run.target} | ${run.completed} (${round(run.completedPercent)} %) | ${round(run.ttftP50Ms)} | ${round(run.ttftP99Ms)}${ratio} | ${round(run.totalP50Ms)} | ${run.target === "direct" ? "–" : round(run.peakRssMiB)} | ${round(run.cpuSeconds)} | ${errors === "" ? "–" : errors}${run.unfinished > 0 ? `; ${run.unfinished} unfinished` : ""}${breaker} |`;
}

pinSelf(1);
const metadata = collectMetadata(canPin);
const logDirectory = mkdtempSync(path.join(os.tmpdir(), "modelgate-many-streams-"));
log(`streams ${counts.join(", ")} of ${model}, opened ${openRate}/s; targets ${targetNames.join(", ")}; modelgate pool ${JSON.stringify(poolSettings)}; logs in ${logDirectory}`);
if (bundle === "") log(`built dist/modelgate.mjs in ${Math.round(await buildBundles())} ms`);
const runs: ManyStreamsRun[] = [];
for (const count of counts) {
  for (const target of targetNames) {
    log(`${count} streams through ${target}`);
    const run = await runOne(target, count, logDirectory);
    runs.push(run);
    log(run.skipped ?? `${run.completed}/${count} completed, TTFT p50 ${round(run.ttftP50Ms)} ms p99 ${round(run.ttftP99Ms)} ms, peak RSS ${round(run.peakRssMiB)} MiB`);
    // Let the kernel retire the run's sockets before the next one opens thousands more.
    await sleep(2_000);
  }
}

const lines = [
  `Many streams: ${model} (${expectedDeltas} deltas), opened ${openRate}/s; TTFT from each stream's scheduled open.`,
  "",
  "| streams | target | completed | TTFT p50 ms | TTFT p99 ms (× direct) | total p50 ms | peak RSS MiB | CPU s | errors (modelgate: and its breaker after the run) |",
  "|---|---|---|---|---|---|---|---|---|",
  ...runs.map((run) => formatRow(run, runs.find((other) => other.target === "direct" && other.streams === run.streams))),
];
console.log(lines.join("\n"));
const out = argument("out", path.join(benchDirectory, "results", `${metadata.startedAt.replace(/[:.]/g, "-")}-many-streams.json`));
mkdirSync(path.dirname(out), { recursive: true });
writeFileSync(out, `${JSON.stringify({ metadata: { ...metadata, loadAverageAtEnd: os.loadavg(), bundle: bundle === "" ? undefined : bundle }, model, openRate, pool: poolSettings, runs }, null, 2)}\n`);
log(`wrote ${path.relative(process.cwd(), out)}`);
