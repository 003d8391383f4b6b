import { setMaxListeners } from "node:events";
import { setImmediate as nextTurn } from "node:timers/promises";
import { describe, expect, it } from "vitest";
import type { OverloadLimits } from "../config/overload-limits.js";
import { GatewayError } from "./gateway-error.js";
import { createOverloadGate, type Release } from "./overload-gate.js";

const limits = (overrides: Partial<OverloadLimits> = {}): (() => OverloadLimits) => {
  const value = { targetLoopDelayMs: 10, minConcurrentCalls: 2, maxConcurrentCalls: 4, maxQueuedCalls: 3, ...overrides };
  return () => value;
};
const noSignal = new AbortController().signal;
// Every waiting call of these tests listens on this one signal.
setMaxListeners(0, noSignal);

/** Enters `count` calls, one event-loop turn apart (the gate lets only a few start per turn). */
async function enterMany(gate: ReturnType<typeof createOverloadGate>, count: number): Promise<Release[]> {
  const releases: Release[] = [];
  for (let index = 0; index < count; index++) {
    const entered = gate.enter(noSignal);
    expect(typeof entered, "under the limit a call enters at once").toBe("function");
    releases.push(entered as Release);
    await nextTurn();
  }
  return releases;
}

describe("overload gate", () => {
  it("lets calls in at once up to the limit, then queues them in order and lets each in as a slot frees", async () => {
    const gate = createOverloadGate(limits());
    const running = await enterMany(gate, 4);
    expect(gate.view()).toMatchObject({ limit: 4, running: 4, queued: 0 });
    const order: string[] = [];
    const first = Promise.resolve(gate.enter(noSignal)).then((release) => (order.push("first"), release));
    const second = Promise.resolve(gate.enter(noSignal)).then((release) => (order.push("second"), release));
    await nextTurn();
    expect(order).toEqual([]);
    expect(gate.view().queued).toBe(2);
    running[0]();
    running[0](); // twice is harmless
    const firstRelease = await first;
    expect(order).toEqual(["first"]);
    expect(gate.view()).toMatchObject({ running: 4, queued: 1 });
    firstRelease();
    await second;
    expect(order).toEqual(["first", "second"]);
  });

  it("refuses a call with RATE_LIMITED (cause gateway_overloaded, retry after 1 s) when the queue is full", async () => {
    const gate = createOverloadGate(limits({ maxQueuedCalls: 1 }));
    await enterMany(gate, 4);
    void gate.enter(noSignal);
    let refusal: unknown;
    try {
      gate.enter(noSignal);
    } catch (error) {
      refusal = error;
    }
    expect(refusal).toBeInstanceOf(GatewayError);
    expect(refusal).toMatchObject({ reason: "RATE_LIMITED", retryAfterMs: 1_000, metadata: { cause: "gateway_overloaded" } });
    expect(gate.view().refused).toBe(1);
  });

  it("drops a waiting call whose signal aborts, with the signal's reason, and keeps its place for no one", async () => {
    const gate = createOverloadGate(limits());
    const running = await enterMany(gate, 4);
    const caller = new AbortController();
    const waiting = gate.enter(caller.signal);
    const behind = Promise.resolve(gate.enter(noSignal));
    const reason = new GatewayError("DEADLINE_EXCEEDED", "the deadline passed while waiting");
    caller.abort(reason);
    await expect(waiting).rejects.toBe(reason);
    expect(gate.view().queued).toBe(1);
    running[0]();
    await expect(behind).resolves.toBeTypeOf("function");
    expect(gate.view()).toMatchObject({ running: 4, queued: 0 });
  });

  it("shrinks below what runs when the loop falls behind, never below the minimum, and not again until the cut is in effect", async () => {
    const gate = createOverloadGate(limits({ maxConcurrentCalls: 100, minConcurrentCalls: 2 }));
    // The limit starts at 64 (clamped to the bounds); fill it.
    await enterMany(gate, 64);
    expect(gate.view().limit).toBe(64);
    gate.adjust(25);
    expect(gate.view().limit).toBe(57);
    // Still behind, but the 64 admitted before the cut still run: no second cut for them.
    gate.adjust(25);
    expect(gate.view().limit).toBe(57);
    expect(gate.view().loopDelayMs).toBe(25);
  });

  it("grows by an eighth a window only while calls wait and the loop keeps up, up to the maximum", async () => {
    const gate = createOverloadGate(limits({ maxConcurrentCalls: 70, minConcurrentCalls: 2, maxQueuedCalls: 100 }));
    await enterMany(gate, 64);
    gate.adjust(1);
    expect(gate.view().limit, "no one waits: no growth").toBe(64);
    const waiters = Array.from({ length: 10 }, () => Promise.resolve(gate.enter(noSignal)));
    gate.adjust(7);
    expect(gate.view().limit, "between half the target and the target: hold").toBe(64);
    gate.adjust(1);
    expect(gate.view().limit, "64 + 8, clamped to 70").toBe(70);
    // The grown limit lets waiters in, a few per turn.
    await Promise.all(waiters.slice(0, 6));
    expect(gate.view()).toMatchObject({ running: 70, queued: 4 });
  });

  it("starts at most 8 calls in one turn of the event loop, the rest in the turns after", async () => {
    const gate = createOverloadGate(limits({ maxConcurrentCalls: 100, maxQueuedCalls: 100 }));
    const entered = Array.from({ length: 20 }, () => gate.enter(noSignal));
    expect(entered.filter((entry) => typeof entry === "function")).toHaveLength(8);
    expect(gate.view()).toMatchObject({ running: 8, queued: 12 });
    await nextTurn();
    expect(gate.view()).toMatchObject({ running: 16, queued: 4 });
    await nextTurn();
    expect(gate.view()).toMatchObject({ running: 20, queued: 0 });
  });
  it("opens its door to the edge: new calls wait outside once 64 wait inside, and those count against the queue bound", async () => {
    const gate = createOverloadGate(limits({ maxQueuedCalls: 70 }));
    await enterMany(gate, 4);
    let heldOutside = 0;
    gate.door.countHeld(() => heldOutside);
    for (let index = 0; index < 63; index++) void gate.enter(noSignal);
    expect(gate.door.shouldHold()).toBe(false);
    void gate.enter(noSignal);
    expect(gate.door.shouldHold()).toBe(true);
    // 64 inside: the edge may hold up to 6, and the 70th waiting call anywhere is refused.
    heldOutside = 5;
    expect(gate.door.hasRoom()).toBe(true);
    heldOutside = 6;
    expect(gate.door.hasRoom()).toBe(false);
    heldOutside = 5;
    expect(gate.view().queued).toBe(69);
    void gate.enter(noSignal);
    expect(() => gate.enter(noSignal)).toThrow(GatewayError);
  });
});
