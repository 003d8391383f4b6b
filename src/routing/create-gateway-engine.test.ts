import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { pino } from "pino";
import { describe, expect, it } from "vitest";
import { GatewayError } from "../gateway/types.js";
import { createMemoryStore } from "../state/memory-store.js";
import { createGatewayEngine } from "./create-gateway-engine.js";
import { collect, testConfig, testContext, testRequest } from "./testing/engine-fixture.js";

describe("createGatewayEngine with real adapters", () => {
  it("builds adapters from the config and serves an echo deployment end to end", async () => {
    const config = testConfig({
      providers: { local: { kind: "echo" } },
      deployments: { echo: { provider: "local", model: "echo", price: { inputNanoUsd: 0, outputNanoUsd: 0, asOf: "2025-10-01" } } },
      aliases: { chat: { tiers: [["echo"]] } },
    });
    const engine = await createGatewayEngine(config, { logger: pino({ level: "silent" }) });
    try {
      const clock = { now: () => Date.now() };
      const result = await engine.complete(testRequest("chat"), testContext(clock, 5_000));
      expect(result.text.length).toBeGreaterThan(0);
      expect(result.route.deployment).toBe("echo");
      const { events, error } = await collect(engine.stream(testRequest("chat"), testContext(clock, 5_000)));
      expect(error).toBeUndefined();
      expect(events.at(-1)?.type).toBe("finish");
      const [stats] = await engine.deploymentStats([]);
      expect(stats).toMatchObject({ deployment: "echo", attempts: 2, breakerState: "closed" });
    } finally {
      await engine.close();
    }
  });
});

/** The collector: `global.gc` when node runs with --expose-gc, else exposed now through V8's flags. */
function collectGarbage(): () => void {
  const exposed = (globalThis as { gc?: () => void }).gc;
  if (exposed !== undefined) return exposed;
  setFlagsFromString("--expose-gc");
  return runInNewContext("gc") as () => void;
}

function liveHeapMb(gc: () => void): number {
  gc();
  gc();
  return process.memoryUsage().heapUsed / 2 ** 20;
}

describe("createGatewayEngine with caller-chosen provider/model names", () => {
  const silent = pino({ level: "silent" });
  const clock = { now: () => Date.now() };
  const uniqueNames = 60_000;

  async function echoEngine(allowAnyModel: boolean, maxAdHocDeployments?: number) {
    const config = testConfig({
      providers: { echo: { kind: "echo", allowAnyModel } },
      deployments: { echo: { provider: "echo", model: "echo" } },
      routing: maxAdHocDeployments === undefined ? {} : { maxAdHocDeployments },
    });
    const store = createMemoryStore();
    const engine = await createGatewayEngine(config, { logger: silent, store });
    return { engine, store };
  }

  it("keeps the state of at most maxAdHocDeployments of 60,000 names, and the heap flat", async () => {
    const { engine, store } = await echoEngine(true);
    const gc = collectGarbage();
    try {
      for (let index = 0; index < 200; index += 1) await engine.complete(testRequest("echo"), testContext(clock));
      for (let index = 0; index < 1_000; index += 1) await engine.complete(testRequest(`echo/warm-${index}`), testContext(clock));
      const keysAtBound = store.keyCount();
      const heapBeforeMb = liveHeapMb(gc);

      for (let index = 0; index < uniqueNames; index += 1) {
        await engine.complete(testRequest(`echo/name-${index}`), testContext(clock));
      }

      const heapAfterMb = liveHeapMb(gc);
      console.log(`${uniqueNames} unique ad-hoc names: live heap ${heapBeforeMb.toFixed(1)} -> ${heapAfterMb.toFixed(1)} MB, ${store.keyCount()} store keys`);
      expect(engine.adHocDeploymentCount()).toBe(1_000);
      expect(store.keyCount()).toBeLessThanOrEqual(keysAtBound);
      // Before the bound, the same run grew the live heap by ~210 MB.
      expect(heapAfterMb - heapBeforeMb).toBeLessThan(16);
      const [configured, evicted, recent] = await engine.deploymentStats(["echo", "echo/name-0", `echo/name-${uniqueNames - 1}`]);
      expect(configured.attempts).toBe(200);
      expect(evicted.attempts).toBe(0);
      expect(recent.attempts).toBe(1);
    } finally {
      await engine.close();
    }
  });

  it("refuses 60,000 names with UNKNOWN_MODEL before any state exists when the provider does not allow any model", async () => {
    const { engine, store } = await echoEngine(false);
    try {
      const reasons = new Map<unknown, number>();
      for (let index = 0; index < uniqueNames; index += 1) {
        const error = await engine.complete(testRequest(`echo/name-${index}`), testContext(clock)).then(
          () => undefined,
          (failure: unknown) => failure,
        );
        const reason = error instanceof GatewayError ? error.reason : error;
        reasons.set(reason, (reasons.get(reason) ?? 0) + 1);
      }
      const streamed = await collect(engine.stream(testRequest("echo/streamed"), testContext(clock)));

      expect([...reasons]).toEqual([["UNKNOWN_MODEL", uniqueNames]]);
      expect(streamed.error).toMatchObject({ reason: "UNKNOWN_MODEL", message: expect.stringContaining("providers.echo.allowAnyModel: true") });
      expect(store.keyCount()).toBe(0);
      expect(engine.adHocDeploymentCount()).toBe(0);
    } finally {
      await engine.close();
    }
  });

  it("keeps an ad-hoc deployment's state while a stream uses it, and drops it once evicted", async () => {
    const { engine } = await echoEngine(true, 2);
    try {
      const held = engine.stream(testRequest("echo/held"), testContext(clock))[Symbol.asyncIterator]();
      expect((await held.next()).value).toMatchObject({ type: "start", deployment: "echo/held" });
      for (let index = 0; index < 5; index += 1) await engine.complete(testRequest(`echo/other-${index}`), testContext(clock));
      expect((await engine.deploymentStats(["echo/held"]))[0].inFlight).toBe(1);

      while (!(await held.next()).done);
      expect((await engine.deploymentStats(["echo/held"]))[0].attempts).toBe(1);
      await engine.complete(testRequest("echo/other-5"), testContext(clock));

      expect((await engine.deploymentStats(["echo/held"]))[0]).toMatchObject({ attempts: 0, inFlight: 0 });
      expect(engine.adHocDeploymentCount()).toBe(2);
    } finally {
      await engine.close();
    }
  });

  it("creates no state for names a caller asks the stats of", async () => {
    const { engine, store } = await echoEngine(true);
    try {
      const views = await engine.deploymentStats(Array.from({ length: 1_000 }, (_, index) => `echo/asked-${index}`));
      expect(views.every((view) => view.attempts === 0 && view.breakerState === "closed")).toBe(true);
      expect(store.keyCount()).toBe(0);
      expect(engine.adHocDeploymentCount()).toBe(0);
    } finally {
      await engine.close();
    }
  });
});
