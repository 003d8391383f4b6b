/**
 * Gives the young generation's memory back to the OS once the event loop has been idle for
 * `server.releaseIdleMemoryAfterMs`. V8 shrinks the young generation only at the end of a collection,
 * and an idle Node process runs none, so the gateway runs one young-generation collection (a scavenge
 * of a nearly empty heap) when idle. Off by default: the next traffic pays CPU while V8 regrows it.
 * Needs `--expose-gc`, which the `modelgate` command and `npm start` pass; without it the release stays
 * off and the gateway says so at start. What it gives and costs per Node: docs/benchmarks.md, "Idle
 * memory release".
 */
import { performance, type EventLoopUtilization } from "node:perf_hooks";
import v8 from "node:v8";
import type { Logger } from "../observability/logger.js";

/** What the release reads from the runtime and does to it; injected in tests. */
export interface RuntimeHandles {
  /** Milliseconds, monotonic. */
  now(): number;
  /** The event loop's utilization (0..1) since the previous call. */
  utilizationSinceLastCall(): number;
  /** Bytes committed to the young generation. */
  youngGenerationBytes(): number;
  /** Runs a young-generation collection. */
  collectYoungGeneration(): void;
}

export interface IdleMemoryReleaseOptions {
  /** How long the event loop must stay idle before the young generation is released. */
  idleMs: number;
  logger: Logger;
  /** How often the event loop's utilization is read. */
  checkEveryMs?: number;
  /** Below this share of a check's time spent busy, the event loop counts as idle. */
  idleUtilization?: number;
  handles?: RuntimeHandles;
}

export interface IdleMemoryRelease {
  stop(): void;
}

/** A young generation at or below this is treated as already small: V8 shrinks it to 1–2 MiB committed. */
const smallYoungGenerationBytes = 4 * 1024 * 1024;
/**
 * V8 shrinks the young generation only when the allocation rate it measured since the previous
 * collection is low; a collection soon after another one measures the burst and shrinks nothing. So each
 * attempt waits `idleMs` after the previous one, and a few attempts per idle period, then none until
 * traffic returns, bound what a V8 that never shrinks costs.
 */
const attemptsPerIdlePeriod = 3;

const mebibytes = (bytes: number): number => Math.round((bytes / 1048576) * 10) / 10;

/**
 * The release's decisions, fed one reading per check: collect when the event loop has been idle for
 * `idleMs` and no attempt was made in that time, the young generation is large, and this idle period
 * has not used its attempts.
 */
export class IdleMemoryReleaseDecider {
  private idleSince: number;
  private attempts = 0;
  private lastAttemptAt = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly idleMs: number,
    private readonly idleUtilization: number,
    now: number,
  ) {
    this.idleSince = now;
  }

  /** Whether to collect now, given the utilization since the previous check and the young generation's size. */
  shouldCollect(now: number, utilization: number, youngGenerationBytes: number): boolean {
    if (utilization >= this.idleUtilization) {
      this.idleSince = now;
      this.attempts = 0;
      return false;
    }
    if (now - Math.max(this.idleSince, this.lastAttemptAt) < this.idleMs) return false;
    if (youngGenerationBytes <= smallYoungGenerationBytes) return false;
    if (this.attempts >= attemptsPerIdlePeriod) return false;
    this.attempts++;
    this.lastAttemptAt = now;
    return true;
  }
}

type CollectGarbage = (options: { type: "minor" | "major" }) => void;

/** The runtime's handles, or undefined when node was started without --expose-gc. */
export function nodeRuntimeHandles(): RuntimeHandles | undefined {
  const collect = (globalThis as { gc?: CollectGarbage }).gc;
  if (typeof collect !== "function") return undefined;
  let previous: EventLoopUtilization = performance.eventLoopUtilization();
  return {
    now: () => performance.now(),
    utilizationSinceLastCall: () => {
      const current = performance.eventLoopUtilization();
      const utilization = performance.eventLoopUtilization(current, previous).utilization;
      previous = current;
      return utilization;
    },
    youngGenerationBytes: () => v8.getHeapSpaceStatistics().find((space) => space.space_name === "new_space")?.space_size ?? 0,
    collectYoungGeneration: () => collect({ type: "minor" }),
  };
}

/** Starts checking; `idleMs` 0 turns the release off. The check's timer never keeps the process alive. */
export function startIdleMemoryRelease(options: IdleMemoryReleaseOptions): IdleMemoryRelease {
  const off: IdleMemoryRelease = { stop: () => undefined };
  if (options.idleMs === 0) return off;
  const handles = options.handles ?? nodeRuntimeHandles();
  if (handles === undefined) {
    options.logger.info("idle memory release is off: node runs without --expose-gc (the modelgate command passes it)");
    return off;
  }
  const decider = new IdleMemoryReleaseDecider(options.idleMs, options.idleUtilization ?? 0.02, handles.now());
  handles.utilizationSinceLastCall();
  const timer = setInterval(() => {
    const youngBefore = handles.youngGenerationBytes();
    if (!decider.shouldCollect(handles.now(), handles.utilizationSinceLastCall(), youngBefore)) return;
    const began = handles.now();
    handles.collectYoungGeneration();
    const pauseMs = handles.now() - began;
    // The collection's own time counts as busy time in the next check; leave it out of that check.
    handles.utilizationSinceLastCall();
    options.logger.debug(
      { youngGenerationMiB: mebibytes(youngBefore), afterMiB: mebibytes(handles.youngGenerationBytes()), pauseMs: Math.round(pauseMs * 100) / 100 },
      "released idle memory",
    );
  }, options.checkEveryMs ?? 1_000);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}
