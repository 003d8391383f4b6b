/**
 * Test helper: how long the event loop was held while some asynchronous work ran, measured by a 1 ms
 * interval timer. A health check waits that long at worst.
 *
 * A gap between two ticks counts for no more than the CPU time the process used in it: on a loaded
 * machine (CI, or tests running side by side) the process is also descheduled for tens of
 * milliseconds, which no code of ours can cause or prevent. Garbage collection and our own work do use
 * the CPU, so they still count (CPU time of all the process's threads, which errs toward more).
 */
import { setTimeout as sleep } from "node:timers/promises";

export interface StallMeasurement<T> {
  result: T;
  /** The longest gap between two ticks of the probe, bounded by the CPU time used in it, in ms. */
  longestStallMs: number;
  /** The longest gap between two ticks in wall-clock time, descheduling included, in ms. */
  longestGapMs: number;
  elapsedMs: number;
}

function cpuMs(since: NodeJS.CpuUsage): number {
  const used = process.cpuUsage(since);
  return (used.user + used.system) / 1_000;
}

async function measureOnce<T>(work: () => Promise<T>): Promise<StallMeasurement<T>> {
  let lastTick = performance.now();
  let lastCpu = process.cpuUsage();
  let longestStallMs = 0;
  let longestGapMs = 0;
  const probe = setInterval(() => {
    const now = performance.now();
    const gapMs = now - lastTick;
    longestGapMs = Math.max(longestGapMs, gapMs);
    longestStallMs = Math.max(longestStallMs, Math.min(gapMs, cpuMs(lastCpu)));
    lastTick = now;
    lastCpu = process.cpuUsage();
  }, 1);
  try {
    await sleep(5);
    longestStallMs = 0;
    longestGapMs = 0;
    const started = performance.now();
    const result = await work();
    const elapsedMs = performance.now() - started;
    await sleep(2); // one more tick, so a final long stretch is seen too
    return { result, longestStallMs, longestGapMs, elapsedMs };
  } finally {
    clearInterval(probe);
  }
}

/**
 * Runs `work` `runs` times and returns the run with the shortest longest stall: a stall the work causes
 * recurs in every run, while a collection of garbage left by earlier tests hits one run only. `work`
 * gets the run's index, to give each run fresh input (the tokenizer caches what it has seen).
 */
export async function measureLongestStall<T>(work: (run: number) => Promise<T>, runs = 3): Promise<StallMeasurement<T>> {
  let best = await measureOnce(() => work(0));
  for (let run = 1; run < runs; run += 1) {
    const next = await measureOnce(() => work(run));
    if (next.longestStallMs < best.longestStallMs) best = next;
  }
  return best;
}
