/**
 * Scenarios 3–5, run one gateway at a time: the capacity frontier (closed loop, instant mock), latency at
 * fixed rates against the 60 ms mock (open loop), and memory (idle, peak under that load, after it, and
 * with many streams open at once).
 */
import { performance } from "node:perf_hooks";
import { setTimeout as sleep } from "node:timers/promises";
import { closedLoopGrpcGo, grpcGoAvailable } from "./grpc-load.js";
import { closedLoop, openLoop, type LoadResult } from "./load.js";
import type { Plan } from "./plan.js";
import { sampleRss, treeRssMiB } from "./processes.js";
import { spread, type Spread } from "./stats.js";
import type { Gateway, Target } from "./targets.js";

/** One cell of a sweep: one target at one concurrency (or rate), over repeats. */
export interface LoadCell {
  target: string;
  /** Concurrency (closed loop) or requests per second (open loop). */
  level: number;
  requestsPerSecond: Spread;
  p50Ms: Spread;
  p99Ms: Spread;
  errors: number;
  dropped: number;
  firstError?: string;
  /** What drove the cell: the Node clients (bench/lib/clients.ts) or bench/grpc-load (scenario 3's gRPC rows). */
  loadGenerator?: LoadGenerator;
}

export type LoadGenerator = "node" | "grpc-go";

export interface Frontier {
  target: string;
  /** Highest req/s among cells with p99 < 10 ms and no errors (median over repeats). */
  under10Ms?: Spread & { concurrency: number };
  under50Ms?: Spread & { concurrency: number };
  max: Spread & { concurrency: number };
}

function cell(target: string, level: number, runs: LoadResult[], loadGenerator: LoadGenerator): LoadCell {
  const firstError = runs.find((run) => run.firstError !== undefined)?.firstError;
  return {
    target,
    level,
    requestsPerSecond: spread(runs.map((run) => run.requestsPerSecond)),
    p50Ms: spread(runs.map((run) => run.p50Ms)),
    p99Ms: spread(runs.map((run) => run.p99Ms)),
    errors: runs.reduce((sum, run) => sum + run.errors, 0),
    dropped: runs.reduce((sum, run) => sum + (run.dropped ?? 0), 0),
    ...(firstError === undefined ? {} : { firstError }),
    loadGenerator,
  };
}

/** The frontier of a target from its sweep cells. */
export function frontierOf(target: string, cells: LoadCell[]): Frontier {
  const best = (limitMs: number): (Spread & { concurrency: number }) | undefined => {
    const eligible = cells.filter((entry) => entry.errors === 0 && entry.p99Ms.median < limitMs);
    const top = eligible.sort((a, b) => b.requestsPerSecond.median - a.requestsPerSecond.median)[0];
    return top === undefined ? undefined : { ...top.requestsPerSecond, concurrency: top.level };
  };
  const top = [...cells].sort((a, b) => b.requestsPerSecond.median - a.requestsPerSecond.median)[0];
  const under10Ms = best(10);
  const under50Ms = best(50);
  return {
    target,
    ...(under10Ms === undefined ? {} : { under10Ms }),
    ...(under50Ms === undefined ? {} : { under50Ms }),
    max: top === undefined ? { median: Number.NaN, min: Number.NaN, max: Number.NaN, n: 0, concurrency: 0 } : { ...top.requestsPerSecond, concurrency: top.level },
  };
}

/**
 * Scenario 3 for one target: closed loop at each concurrency, repeats back to back after a warm-up.
 * gRPC targets are driven by grpc-go when Go is installed: the grpc-js client saturates its core
 * (~1,500 calls/s) before a fast gateway does, so it would measure itself.
 */
export async function runCapacity(plan: NonNullable<Plan["capacity"]>, target: Target, overBudget: () => boolean): Promise<LoadCell[]> {
  const model = "mock-instant";
  const address = target.protocol === "grpc" ? target.grpcAddress : undefined;
  const loadGenerator: LoadGenerator = address !== undefined && grpcGoAvailable() ? "grpc-go" : "node";
  const load = (concurrency: number, durationMs: number): Promise<LoadResult> =>
    loadGenerator === "grpc-go" && address !== undefined
      ? closedLoopGrpcGo(address, concurrency, durationMs, model)
      : closedLoop(() => target.client.unary(model), concurrency, durationMs);
  const cells: LoadCell[] = [];
  for (const concurrency of plan.concurrencies) {
    if (overBudget()) break;
    await load(concurrency, plan.warmupMs);
    const runs: LoadResult[] = [];
    for (let repeat = 0; repeat < plan.repeats; repeat++) runs.push(await load(concurrency, plan.windowMs));
    cells.push(cell(target.name, concurrency, runs, loadGenerator));
  }
  return cells;
}

/** Scenario 4 for one target: open loop at each fixed rate against the 60 ms mock. */
export async function runFixedRate(plan: NonNullable<Plan["fixedRate"]>, target: Target, overBudget: () => boolean): Promise<LoadCell[]> {
  const send = (): Promise<void> => target.client.unary("mock-delay-60");
  const cells: LoadCell[] = [];
  await openLoop(send, 50, 300);
  for (const rate of plan.rates) {
    if (overBudget()) break;
    const runs: LoadResult[] = [];
    for (let repeat = 0; repeat < plan.repeats; repeat++) runs.push(await openLoop(send, rate, plan.windowMs, plan.drainLimitMs));
    const result = cell(target.name, rate, runs, "node");
    cells.push(result);
    // A target that cannot keep up at this rate will not at a higher one; don't spend the time.
    if (result.dropped > 0 || result.p99Ms.median > 1_000) break;
  }
  return cells;
}

export interface MemoryFigures {
  gateway: string;
  idleMiB: number;
  /** Peak while scenarios 3 and 4 ran against it. */
  peakMiB: number;
  /** afterMs after that load ended. */
  afterMiB: number;
  afterMs: number;
  /** Peak with `streams` streams open at once, and how many of them completed. */
  streamsPeakMiB?: number;
  streams?: number;
  streamsCompleted?: number;
  streamsFirstError?: string;
  streamsSeconds?: number;
}

/** Scenario 5's streams part: opens `count` streams at once on one target and reports the peak RSS. */
export async function runManyStreams(gateway: Gateway, target: Target, count: number, model: string, timeLimitMs: number): Promise<Pick<MemoryFigures, "streamsPeakMiB" | "streams" | "streamsCompleted" | "streamsFirstError" | "streamsSeconds">> {
  const sampler = sampleRss(gateway.started.child.pid, 100);
  const started = performance.now();
  let completed = 0;
  let firstError: string | undefined;
  const streams = Array.from({ length: count }, () =>
    target.client.stream(model).then(
      () => {
        completed++;
      },
      (error: unknown) => {
        firstError ??= error instanceof Error ? error.message : String(error);
      },
    ),
  );
  await Promise.race([Promise.all(streams), sleep(timeLimitMs)]);
  const peak = sampler.stop();
  return {
    streamsPeakMiB: peak,
    streams: count,
    streamsCompleted: completed,
    ...(firstError === undefined ? {} : { streamsFirstError: firstError }),
    streamsSeconds: (performance.now() - started) / 1000,
  };
}

/** Reads the tree RSS of a gateway now. */
export function rssNow(gateway: Gateway): number {
  return treeRssMiB(gateway.started.child.pid);
}
