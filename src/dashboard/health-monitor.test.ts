import { describe, expect, it } from "vitest";
import { GatewayError, type DeploymentStatsView } from "../gateway/types.js";
import { createFallbackLog } from "./fallback-log.js";
import { createHealthMonitor, type HealthSnapshot } from "./health-monitor.js";
import { statsView } from "./testing-stats.js";

/** An engine whose stats are whatever `views` holds when read; counts the reads. */
function fakeEngine(views: () => DeploymentStatsView[]) {
  const engine = {
    reads: 0,
    async deploymentStats() {
      engine.reads++;
      return views();
    },
  };
  return engine;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

describe("health monitor", () => {
  it("derives attempts per second and cost per request from two samples", async () => {
    let clock = 10_000;
    let attempts = 0;
    const engine = fakeEngine(() => [statsView("b"), statsView("a", { attempts, failures: 0, costMicroUsd: attempts * 200 })]);
    const monitor = createHealthMonitor({ engine, intervalMs: 5, now: () => clock });
    const stop = new AbortController();
    const seen: HealthSnapshot[] = [];
    for await (const snapshot of monitor.watch({ signal: stop.signal })) {
      seen.push(snapshot);
      attempts += 30;
      clock += 2_000;
      if (seen.length === 3) stop.abort();
    }
    expect(seen[0].deployments.map((entry) => entry.stats.deployment)).toEqual(["a", "b"]);
    expect(seen[0].deployments[0].attemptsPerSecond).toBeUndefined();
    expect(seen[1].deployments[0].attemptsPerSecond).toBe(15);
    expect(seen[2].deployments[0].costPerRequestMicroUsd).toBe(200);
    expect(seen[0].deployments[0].costPerRequestMicroUsd).toBeUndefined();
  });

  it("reports no cost per request while every billed attempt was unpriced", async () => {
    const engine = fakeEngine(() => [statsView("a", { attempts: 4, unpricedAttempts: 4 })]);
    const monitor = createHealthMonitor({ engine, intervalMs: 5 });
    const stop = new AbortController();
    for await (const snapshot of monitor.watch({ signal: stop.signal })) {
      expect(snapshot.deployments[0].costPerRequestMicroUsd).toBeUndefined();
      stop.abort();
    }
  });

  it("refuses a watcher over the cap with RATE_LIMITED", async () => {
    const monitor = createHealthMonitor({ engine: fakeEngine(() => []), intervalMs: 5, maxWatchers: 1 });
    const stop = new AbortController();
    const first = monitor.watch({ signal: stop.signal });
    await first.next();
    expect(monitor.watchers()).toBe(1);
    const second = monitor.watch({ signal: stop.signal });
    await expect(second.next()).rejects.toSatisfy((error) => error instanceof GatewayError && error.reason === "RATE_LIMITED");
    stop.abort();
    expect(await first.next()).toEqual({ done: true, value: undefined });
    expect(monitor.watchers()).toBe(0);
  });

  it("ends without error once the watch's end time passes", async () => {
    const monitor = createHealthMonitor({ engine: fakeEngine(() => []), intervalMs: 10 });
    const started = Date.now();
    let count = 0;
    for await (const _ of monitor.watch({ signal: new AbortController().signal, endAt: Date.now() + 80 })) count++;
    expect(Date.now() - started).toBeLessThan(500);
    expect(count).toBeGreaterThan(0);
    expect(monitor.watchers()).toBe(0);
  });

  it("samples once per interval however many watch, and stops sampling when the last watcher leaves", async () => {
    const engine = fakeEngine(() => [statsView("a")]);
    const monitor = createHealthMonitor({ engine, intervalMs: 20 });
    const stop = new AbortController();
    const watches = [0, 1, 2, 3].map(() => monitor.watch({ signal: stop.signal }));
    const reading = watches.map(async (watch) => {
      let count = 0;
      for await (const _ of watch) count++;
      return count;
    });
    await sleep(210);
    stop.abort();
    const counts = await Promise.all(reading);
    const reads = engine.reads;
    // One read serves all four: a sampler per watcher would read about four times per snapshot.
    expect(reads).toBeGreaterThanOrEqual(2);
    expect(reads).toBeLessThanOrEqual(Math.max(...counts) + 1);
    for (const count of counts) expect(count).toBeLessThanOrEqual(reads);
    await sleep(80);
    expect(engine.reads).toBe(reads);
  });

  it("hands a slow reader only the newest snapshot instead of queueing", async () => {
    let attempts = 0;
    const engine = fakeEngine(() => [statsView("a", { attempts: ++attempts })]);
    const monitor = createHealthMonitor({ engine, intervalMs: 5 });
    const stop = new AbortController();
    const watch = monitor.watch({ signal: stop.signal });
    await watch.next();
    await sleep(100);
    const next = await watch.next();
    const later = await watch.next();
    stop.abort();
    const first = (next.value as HealthSnapshot).deployments[0].stats.attempts;
    const second = (later.value as HealthSnapshot).deployments[0].stats.attempts;
    expect(first).toBeGreaterThan(5);
    expect(second - first).toBeLessThanOrEqual(3);
    await watch.return(undefined);
  });

  it("filters deployments and carries splits and the newest fallbacks", async () => {
    const fallbacks = createFallbackLog();
    fallbacks.record({ timeUnixMs: 1, requestedModel: "chat", fromDeployment: "a", toDeployment: "b", reason: "PROVIDER_UNAVAILABLE" });
    const monitor = createHealthMonitor({
      engine: fakeEngine(() => [statsView("a"), statsView("b")]),
      intervalMs: 5,
      fallbacks,
      aliases: () => [{ alias: "chat", strategy: "weighted", tiers: [[{ deployment: "a", weight: 9, share: 0.9 }]] }],
      sharedState: () => "shared",
    });
    const stop = new AbortController();
    for await (const snapshot of monitor.watch({ signal: stop.signal, deployments: ["b"] })) {
      expect(snapshot.deployments.map((entry) => entry.stats.deployment)).toEqual(["b"]);
      expect(snapshot.recentFallbacks).toHaveLength(1);
      expect(snapshot.aliases[0].alias).toBe("chat");
      expect(snapshot.sharedState).toBe("shared");
      stop.abort();
    }
  });
});
