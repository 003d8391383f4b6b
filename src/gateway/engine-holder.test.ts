import { pino } from "pino";
import { describe, expect, it } from "vitest";
import { testContext, testRequest } from "../routing/testing/engine-fixture.js";
import { createEngineHolder } from "./engine-holder.js";
import type { CompletionEngine, GatewayEvent, GatewayResult } from "./types.js";

const logger = pino({ level: "silent" });
const clock = { now: () => Date.now() };

/** An engine whose calls wait until `release()`; each answer names the engine. */
interface HeldEngine extends CompletionEngine {
  readonly name: string;
  closed: boolean;
  /** Lets every waiting call (and stream) go on. */
  release(): void;
}

function heldEngine(name: string): HeldEngine {
  let waiters: (() => void)[] = [];
  let open = false;
  const gate = (): Promise<void> => (open ? Promise.resolve() : new Promise((resolve) => waiters.push(resolve)));
  const engine: HeldEngine = {
    name,
    closed: false,
    release() {
      open = true;
      for (const wake of waiters) wake();
      waiters = [];
    },
    async complete(request) {
      await gate();
      if (engine.closed) throw new Error(`${name} was closed under a running call`);
      return { requestId: request.requestId, text: name } as GatewayResult;
    },
    async *stream() {
      yield { type: "text-delta", text: `${name}:1` } satisfies GatewayEvent;
      await gate();
      if (engine.closed) throw new Error(`${name} was closed under a running stream`);
      yield { type: "text-delta", text: `${name}:2` } satisfies GatewayEvent;
    },
    listModels: () => ({ aliases: [{ name, strategy: "priority", tiers: [[name]] }], deployments: [] }),
    deploymentStats: () => Promise.resolve([]),
    close() {
      engine.closed = true;
      return Promise.resolve();
    },
  };
  return engine;
}

/** Resolves after pending promise callbacks have run. */
const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe("createEngineHolder", () => {
  it("finishes a call started before the swap on the old engine, and sends new calls to the new one", async () => {
    const old = heldEngine("old");
    const next = heldEngine("next");
    next.release();
    const holder = createEngineHolder(old, { logger, drainTimeoutMs: 60_000 });
    const running = holder.complete(testRequest("chat"), testContext(clock));
    holder.swap(next);
    expect((await holder.complete(testRequest("chat"), testContext(clock))).text).toBe("next");
    old.release();
    expect((await running).text).toBe("old");
  });

  it("keeps a running stream on the engine it started on until it ends", async () => {
    const old = heldEngine("old");
    const holder = createEngineHolder(old, { logger, drainTimeoutMs: 60_000 });
    const iterator = holder.stream(testRequest("chat"), testContext(clock))[Symbol.asyncIterator]();
    expect(await iterator.next()).toEqual({ done: false, value: { type: "text-delta", text: "old:1" } });
    holder.swap(heldEngine("next"));
    expect(holder.listModels().aliases[0].name).toBe("next");
    old.release();
    expect(await iterator.next()).toEqual({ done: false, value: { type: "text-delta", text: "old:2" } });
    expect(old.closed).toBe(false);
    expect((await iterator.next()).done).toBe(true);
    await settle();
    expect(old.closed).toBe(true);
  });

  it("closes the old engine only after its last call ends", async () => {
    const old = heldEngine("old");
    const holder = createEngineHolder(old, { logger, drainTimeoutMs: 60_000 });
    const first = holder.complete(testRequest("chat"), testContext(clock));
    const second = holder.complete(testRequest("chat"), testContext(clock));
    holder.swap(heldEngine("next"));
    await settle();
    expect(old.closed).toBe(false);
    expect(holder.retiringCount()).toBe(1);
    old.release();
    await Promise.all([first, second]);
    await settle();
    expect(old.closed).toBe(true);
    expect(holder.retiringCount()).toBe(0);
  });

  it("closes an old engine with no running calls at once", async () => {
    const old = heldEngine("old");
    const holder = createEngineHolder(old, { logger, drainTimeoutMs: 60_000 });
    holder.swap(heldEngine("next"));
    await settle();
    expect(old.closed).toBe(true);
  });

  it("releases a stream whose reader stops early", async () => {
    const old = heldEngine("old");
    const holder = createEngineHolder(old, { logger, drainTimeoutMs: 60_000 });
    const iterator = holder.stream(testRequest("chat"), testContext(clock))[Symbol.asyncIterator]();
    await iterator.next();
    holder.swap(heldEngine("next"));
    await iterator.return?.();
    await settle();
    expect(old.closed).toBe(true);
  });

  it("closes the old engine after the drain timeout even with a call still running", async () => {
    const old = heldEngine("old");
    const holder = createEngineHolder(old, { logger, drainTimeoutMs: 30 });
    const stuck = holder.complete(testRequest("chat"), testContext(clock));
    holder.swap(heldEngine("next"));
    await new Promise((resolve) => setTimeout(resolve, 60));
    expect(old.closed).toBe(true);
    old.release();
    await expect(stuck).rejects.toThrow("closed under a running call");
  });

  it("closes the current engine and every retiring one on close", async () => {
    const old = heldEngine("old");
    const next = heldEngine("next");
    const holder = createEngineHolder(old, { logger, drainTimeoutMs: 60_000 });
    const running = holder.complete(testRequest("chat"), testContext(clock));
    holder.swap(next);
    await holder.close();
    expect([old.closed, next.closed]).toEqual([true, true]);
    old.release();
    await running.catch(() => undefined);
  });

  it("closes an engine swapped in after close, since nothing will serve on it", async () => {
    const holder = createEngineHolder(heldEngine("old"), { logger, drainTimeoutMs: 60_000 });
    await holder.close();
    const late = heldEngine("late");
    holder.swap(late);
    await settle();
    expect(late.closed).toBe(true);
  });
});
