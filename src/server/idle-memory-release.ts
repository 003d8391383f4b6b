/**
 * Gives the young generation's memory back to the operating system once the gateway has been idle for
 * a while (`server.releaseIdleMemoryAfterMs`). Off by default: it trades CPU after an idle period for
 * memory during it (below), a trade for deployments short of memory.
 *
 * Why it is needed: under traffic V8 grows its young generation to two semi-spaces of
 * `--max-semi-space-size` (2 × 16 MiB with the `modelgate` command) and keeps those pages committed.
 * V8 shrinks it only at the end of a garbage collection that runs while the allocation rate is low, and
 * an idle Node process runs no collection at all: a browser tells V8 when it is idle, Node does not. So
 * a gateway that served a burst an hour ago still holds the burst's young generation. A young-generation
 * collection (a scavenge) on an idle heap copies almost nothing (1–5 ms, test/build/idle-memory-release
 * .test.ts logs it), and it lets V8 shrink the young generation from 32 MiB to 1 MiB.
 *
 * What that gives back differs by Node (`npx tsx bench/memory/memory-phases.ts`, its last line): on
 * Node 20, ~31 MiB of RSS. Node 22 and 24 keep the freed pages in V8's page pool, so their RSS stays;
 * only a last-resort collection (`gc({ type: "major", flavor: "last-resort" })`) releases the pool, and
 * on Node 24 it paused the gateway ~140 ms to give back ~63 MiB, too long a pause to take unasked
 * (bench/memory/idle-collection.mjs shows the same without the gateway).
 *
 * What it costs: V8 then regrows the young generation from 1 MiB under the next traffic, and until it
 * has, it collects more often. `npx tsx bench/memory/after-idle.ts` (the same gateway with and without
 * the release, 8 s idle, then 300 calls one at a time and 2 s at c=8, six cycles; four runs on Node 20
 * and 24): CPU per call 1–27 % higher (most runs 7–14 %), p50 one at a time 0.04–0.11 ms higher; by
 * the end of the 2 s burst RSS is back where it was without the release.
 *
 * Only the young generation, and only when idle: the event loop must have been busy less than
 * `idleUtilization` of every check for `idleMs`, so no call waits behind the collection (a call that
 * arrives during it waits for a scavenge of an empty heap). V8's own memory reducer, which would trim
 * the old generation, does not run in an idle Node process either: it keeps finding the allocation rate
 * of the last burst (`--trace-memory-reducer`: "high alloc" every 8 s for 90 s on Node 24).
 *
 * Needs `globalThis.gc`, which node exposes with `--expose-gc`; the `modelgate` command and `npm start`
 * pass it (bin/modelgate.mjs). Without it, a release the config asks for stays off, and the gateway
 * says so once at start.
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
 * collection is low. A collection soon after another one measures the burst and shrinks nothing, so
 * each attempt waits `idleMs` after the previous one: on Node 20 and 24 a collection 5 s after the
 * previous one shrank it every time, one 1 s after never (bench/memory/idle-collection.mjs). A few
 * attempts per idle period, then none until traffic returns, so a V8 that never shrinks costs a few
 * scavenges per idle period and no more.
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
