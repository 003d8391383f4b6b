/**
 * Admission of completion calls while the gateway itself is the bottleneck. Every call runs on one
 * event loop: past what one core can do, each extra stream makes every turn of the loop longer, until
 * health checks time out and a load balancer drops a replica that is merely busy. The gate keeps the
 * calls running under a limit it adapts to how late the loop runs (loop-delay-probe.ts): the limit grows
 * while calls wait and the loop keeps up, and shrinks when the loop falls behind.
 *
 * Calls over the limit wait in arrival order, in a bounded queue; a call that finds it full is refused
 * with RATE_LIMITED (cause `gateway_overloaded`, retry after a second, here or on another replica). A
 * waiting call leaves the queue when its deadline passes or its client goes away. No attempt has started
 * while a call waits, so waiting here is never counted against a vendor. Under the limit a call enters
 * at once, without a promise: the unloaded path costs a comparison.
 */
import type { OverloadLimits } from "../config/overload-limits.js";
import { GatewayError } from "./gateway-error.js";

/** Where the limit starts unless the minimum is higher (it is by default: docs/benchmarks.md, "Overload"). */
const initialConcurrentCalls = 64;
/** Calls let out of the queue per turn of the loop: each start costs a burst of work, so a freed batch of slots must not become one long turn. */
const admittedPerTurn = 8;
/** Calls waiting inside the gate past which new ones wait at the edge, unparsed (start-pacer.ts): enough to fill the slots freed in several turns. */
const waitingBeforeHold = 64;
/** What a refused call is told to wait before it tries again. */
const retryAfterMs = 1_000;

export interface OverloadView {
  limit: number;
  running: number;
  /** Calls waiting for a slot: in the gate, and at the edge before they are parsed. */
  queued: number;
  /** Of `queued`, those waiting at the edge. */
  held: number;
  /** Calls refused because the queue was full, since start. */
  refused: number;
  /** The loop delay the limit last adjusted to. */
  loopDelayMs: number;
}

/**
 * Lets the edge keep new calls waiting before they are parsed (src/server/start-pacer.ts) while enough
 * wait inside; those count against the gate's queue bound.
 */
export interface OverloadDoor {
  /** Whether enough calls wait inside that a new one should wait at the edge. */
  shouldHold(): boolean;
  /** Whether one more call may wait, here or at the edge, within the queue bound. */
  hasRoom(): boolean;
  /** Tells the gate how many wait at the edge. */
  countHeld(read: () => number): void;
}

/** Ends a call's hold on its slot; calling it twice is harmless. */
export type Release = () => void;

export interface OverloadGate {
  /**
   * A slot for one call: at once (a `Release`) while under the limit, else a promise of one once a slot
   * is free. Rejects with RATE_LIMITED when the queue is full, or with the signal's reason if it aborts
   * while the call waits.
   */
  enter(signal: AbortSignal): Release | Promise<Release>;
  /** Adapts the limit to the loop delay of the window that just ended (the probe calls this). */
  adjust(loopDelayMs: number): void;
  view(): OverloadView;
  door: OverloadDoor;
}

interface Waiter {
  admit(release: Release): void;
  signal: AbortSignal;
  onAbort: () => void;
}

export function createOverloadGate(limits: () => OverloadLimits): OverloadGate {
  // Set on the first call: `limits` may not be readable while the gateway is being put together.
  let limit = Number.NaN;
  let running = 0;
  let refused = 0;
  let loopDelayMs = 0;
  // A Set keeps arrival order and drops an aborted waiter in O(1).
  const waiting = new Set<Waiter>();
  let startedThisTurn = 0;
  let heldAtEdge: () => number = () => 0;
  const waitingAnywhere = (): number => waiting.size + heldAtEdge();

  const release = (): Release => {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      running--;
      if (waiting.size > 0) admitWaiting();
    };
  };

  /** Counts a start against this turn's; the count resets, and waiters get their turn, in the next. */
  function countStart(): void {
    if (startedThisTurn++ > 0) return;
    setImmediate(() => {
      startedThisTurn = 0;
      if (waiting.size > 0) admitWaiting();
    });
  }

  /** Lets waiters in while slots are free, `admittedPerTurn` per turn of the loop. */
  function admitWaiting(): void {
    for (const waiter of waiting) {
      if (running >= limit || startedThisTurn >= admittedPerTurn) return;
      waiting.delete(waiter);
      waiter.signal.removeEventListener("abort", waiter.onAbort);
      running++;
      countStart();
      waiter.admit(release());
    }
  }

  return {
    enter(signal) {
      if (Number.isNaN(limit)) limit = clamp(initialConcurrentCalls, limits());
      if (running < limit && waiting.size === 0 && startedThisTurn < admittedPerTurn) {
        running++;
        countStart();
        return release();
      }
      signal.throwIfAborted();
      if (waitingAnywhere() >= limits().maxQueuedCalls) {
        refused++;
        throw new GatewayError("RATE_LIMITED", "the gateway is overloaded: too many calls are waiting to start; retry shortly", {
          retryAfterMs,
          metadata: { cause: "gateway_overloaded" },
        });
      }
      return new Promise<Release>((resolve, reject) => {
        const waiter: Waiter = {
          admit: resolve,
          signal,
          onAbort: () => {
            waiting.delete(waiter);
            reject(signal.reason);
          },
        };
        waiting.add(waiter);
        signal.addEventListener("abort", waiter.onAbort, { once: true });
      });
    },

    adjust(delayMs) {
      loopDelayMs = delayMs;
      const bounds = limits();
      if (delayMs > bounds.targetLoopDelayMs) {
        // Behind: shrink below what runs, but only once the limit is what runs. Calls admitted before the
        // last cut still run, and cutting again for them would starve the gateway after they end.
        if (running >= limit * 0.9) limit = clamp(Math.floor(running * 0.9), bounds);
      } else if (delayMs < bounds.targetLoopDelayMs / 2 && waiting.size > 0) {
        // Keeping up with calls waiting: grow by an eighth a window (doubles in ~0.6 s at 100 ms windows).
        limit = clamp(limit + Math.ceil(limit / 8), bounds);
      } else {
        limit = clamp(limit, bounds);
      }
      if (waiting.size > 0) admitWaiting();
    },

    view: () => {
      const held = heldAtEdge();
      return { limit, running, queued: waiting.size + held, held, refused, loopDelayMs };
    },

    door: {
      shouldHold: () => waiting.size >= waitingBeforeHold,
      hasRoom: () => waitingAnywhere() < limits().maxQueuedCalls,
      countHeld(read) {
        heldAtEdge = read;
      },
    },
  };
}

function clamp(value: number, limits: OverloadLimits): number {
  return Math.max(limits.minConcurrentCalls, Math.min(limits.maxConcurrentCalls, value));
}
