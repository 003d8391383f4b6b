/**
 * Live health for WatchHealth and the `/dashboard` page. One sampler per gateway reads
 * `engine.deploymentStats()` (with Redis, every replica's view) every `intervalMs` while at least one
 * watcher is connected, derives attempts per second from the attempts counters between two samples,
 * and hands each watcher the latest snapshot. The cost is one stats read per interval however many
 * watch; at most `maxWatchers` watch at once, and a watcher that reads slowly skips snapshots instead
 * of queueing them. With no watcher, nothing runs.
 */
import type { Logger } from "pino";
import { GatewayError, type CompletionEngine, type DeploymentStatsView, type SharedStateStatus } from "../gateway/types.js";
import type { AliasSplitView } from "./alias-splits.js";
import type { FallbackEntry, FallbackLog } from "./fallback-log.js";

export interface DeploymentHealthView {
  stats: DeploymentStatsView;
  /** Attempts per second since the previous sample; undefined in the first sample after a start. */
  attemptsPerSecond?: number;
  /** Cost per successful attempt since start; undefined before a success or with no known cost. */
  costPerRequestMicroUsd?: number;
}

export interface HealthSnapshot {
  timeUnixMs: number;
  sharedState: SharedStateStatus;
  /** Sorted by deployment name. */
  deployments: DeploymentHealthView[];
  aliases: AliasSplitView[];
  /** Newest first. */
  recentFallbacks: FallbackEntry[];
}

export interface HealthMonitorOptions {
  engine: Pick<CompletionEngine, "deploymentStats">;
  /** Each alias's split; none when absent. */
  aliases?: () => AliasSplitView[];
  fallbacks?: FallbackLog;
  /** Where shared state lives now; "memory" when absent. */
  sharedState?: () => SharedStateStatus;
  /** Time between samples; default 1,000 ms. */
  intervalMs?: number;
  /** Watchers at once; one more is refused with RATE_LIMITED. Default 16. */
  maxWatchers?: number;
  logger?: Logger;
  now?: () => number;
}

export interface WatchOptions {
  /** Ends the watch (the caller went away, the deadline passed, the server shuts down). */
  signal: AbortSignal;
  /** Deployment names to report; all when empty or absent. */
  deployments?: readonly string[];
  /** The watch ends, without error, once this time (monitor clock) has passed. */
  endAt?: number;
}

export interface HealthMonitor {
  /**
   * Snapshots, the first as soon as one exists, then one per sample, until `signal` aborts or `endAt`
   * passes; then it returns. Throws RATE_LIMITED when `maxWatchers` already watch.
   */
  watch(options: WatchOptions): AsyncGenerator<HealthSnapshot, void, undefined>;
  /** Watchers connected now. */
  watchers(): number;
}

export const DEFAULT_HEALTH_INTERVAL_MS = 1_000;
export const DEFAULT_MAX_HEALTH_WATCHERS = 16;

/** One connected watcher: the newest snapshot it has not read yet, and how to wake it. */
interface Watcher {
  pending?: HealthSnapshot;
  wake?: () => void;
}

export function createHealthMonitor(options: HealthMonitorOptions): HealthMonitor {
  const intervalMs = options.intervalMs ?? DEFAULT_HEALTH_INTERVAL_MS;
  const maxWatchers = options.maxWatchers ?? DEFAULT_MAX_HEALTH_WATCHERS;
  const now = options.now ?? Date.now;
  const watchers = new Set<Watcher>();
  let timer: NodeJS.Timeout | undefined;
  /** Counts starts: a sample that outlived a stop (and maybe a new start) drops its result. */
  let run = 0;
  let latest: HealthSnapshot | undefined;
  /** The previous sample's attempts counters, for rates. */
  let previous: { at: number; attempts: Map<string, number> } | undefined;

  const sample = async (): Promise<HealthSnapshot> => {
    const stats = await options.engine.deploymentStats([]);
    const at = now();
    const attempts = new Map(stats.map((entry) => [entry.deployment, entry.attempts]));
    const seconds = previous === undefined ? 0 : (at - previous.at) / 1_000;
    const deployments = [...stats]
      .sort((left, right) => left.deployment.localeCompare(right.deployment))
      .map((entry): DeploymentHealthView => {
        const before = previous?.attempts.get(entry.deployment);
        // A counter that went down was reset (an evicted ad-hoc deployment came back): no rate.
        const rate = before === undefined || seconds <= 0 || entry.attempts < before ? undefined : (entry.attempts - before) / seconds;
        return { stats: entry, attemptsPerSecond: rate, costPerRequestMicroUsd: costPerRequest(entry) };
      });
    previous = { at, attempts };
    return {
      timeUnixMs: at,
      sharedState: options.sharedState?.() ?? "memory",
      deployments,
      aliases: options.aliases?.() ?? [],
      recentFallbacks: options.fallbacks?.recent() ?? [],
    };
  };

  const tick = (): void => {
    const current = run;
    sample().then(
      (snapshot) => {
        if (current !== run) return;
        latest = snapshot;
        for (const watcher of watchers) {
          watcher.pending = snapshot;
          watcher.wake?.();
        }
      },
      (error: unknown) => options.logger?.warn({ err: error }, "reading deployment stats for the health watch failed"),
    ).finally(() => {
      // The next sample is timed from the end of this one: a slow stats read never stacks samples.
      if (current === run) timer = setTimeout(tick, intervalMs);
    });
  };

  const start = (): void => {
    if (timer !== undefined) return;
    run++;
    timer = setTimeout(tick, 0);
  };
  const stop = (): void => {
    clearTimeout(timer);
    timer = undefined;
    run++;
    latest = undefined;
    previous = undefined;
  };

  /** Resolves with the watcher's next snapshot, or undefined once the watch is over. */
  const next = (watcher: Watcher, signal: AbortSignal, endAt: number | undefined): Promise<HealthSnapshot | undefined> =>
    new Promise((resolve) => {
      let deadline: NodeJS.Timeout | undefined;
      const finish = (): void => {
        clearTimeout(deadline);
        signal.removeEventListener("abort", finish);
        watcher.wake = undefined;
        const snapshot = signal.aborted || (endAt !== undefined && now() >= endAt) ? undefined : watcher.pending;
        watcher.pending = undefined;
        resolve(snapshot);
      };
      if (signal.aborted || watcher.pending !== undefined) return finish();
      if (endAt !== undefined) deadline = setTimeout(finish, Math.max(0, endAt - now()));
      signal.addEventListener("abort", finish, { once: true });
      watcher.wake = finish;
    });

  return {
    watchers: () => watchers.size,
    async *watch(watch) {
      if (watchers.size >= maxWatchers) {
        throw new GatewayError("RATE_LIMITED", `at most ${maxWatchers} health watches at once`, { retryAfterMs: 5_000 });
      }
      const watcher: Watcher = { pending: latest };
      watchers.add(watcher);
      start();
      const selected = watch.deployments !== undefined && watch.deployments.length > 0 ? new Set(watch.deployments) : undefined;
      try {
        for (;;) {
          const snapshot = await next(watcher, watch.signal, watch.endAt);
          if (snapshot === undefined) return;
          yield selected === undefined ? snapshot : { ...snapshot, deployments: snapshot.deployments.filter((entry) => selected.has(entry.stats.deployment)) };
        }
      } finally {
        watchers.delete(watcher);
        if (watchers.size === 0) stop();
      }
    },
  };
}

/**
 * Cost per successful attempt since start. Failed attempts a vendor billed add to the cost but are
 * not requests served; cancelled attempts count as successes here (the stats do not tell them apart).
 */
function costPerRequest(stats: DeploymentStatsView): number | undefined {
  const succeeded = stats.attempts - stats.failures;
  if (succeeded <= 0) return undefined;
  if (stats.costMicroUsd === 0 && stats.unpricedAttempts > 0) return undefined;
  return stats.costMicroUsd / succeeded;
}
