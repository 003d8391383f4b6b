/**
 * One upstream attempt's mechanics: its abort signal (an AbortLatch, linked to the caller's signal), its total
 * timer (the attempt's total timeout or the caller's deadline, whichever comes first), and the stream
 * watchdog (first-token, then idle). Every abort carries an `AttemptAbort` saying why, so the walker
 * can tell a deadline from a cancel from a provider timeout.
 */
import { GatewayError, type CallContext } from "../gateway/types.js";
import { AbortLatch, type AttemptTimeouts, type CallSignal, type ProviderAdapter } from "../providers/spec.js";
import type { BreakerPermit } from "../resilience/circuit-breaker.js";
import { startTimer, type Clock } from "../resilience/clock.js";
import { AttemptAbort } from "./attempt-abort.js";
import { computeAttemptTimeouts } from "./attempt-timeouts.js";
import { StreamWatchdog } from "./stream-watchdog.js";
import type { PlannedAttempt } from "./plan.js";
import type { RouteDeployment } from "./route-table.js";

/** One upstream attempt in progress. */
export interface AttemptSlot {
  readonly planned: PlannedAttempt;
  readonly deployment: RouteDeployment;
  readonly adapter: ProviderAdapter;
  /** 0 for the first try on this deployment. */
  readonly retry: number;
  /** Aborted on deadline, client cancel, attempt timeout, or release. */
  readonly signal: CallSignal;
  readonly timeouts: AttemptTimeouts;
  readonly startedAt: number;
  /** (Re)arms the stream watchdog: aborts the attempt as a timeout unless re-armed within `ms`. */
  watch(ms: number, which: "first-token" | "idle"): void;
  /** Disarms the watchdog (while the client, not the provider, is the slow side). */
  unwatch(): void;
  /**
   * `promise`, or a rejection with the abort reason as soon as the attempt aborts: the engine moves on
   * at once even if an adapter ignores its signal (the upstream call is still aborted through it).
   * One race at a time per slot; it needs no listener on the signal (see `abort`).
   */
  race<T>(promise: Promise<T>): Promise<T>;
}

/** The slot with what only the walker touches. */
export interface SlotState extends AttemptSlot {
  permit: BreakerPermit;
  /** The attempt's signal and its abort, in one (call-signal.ts says why not an AbortController). */
  latch: AbortLatch;
  /** Cancels the total timer. */
  stopTotal: () => void;
  /** The stream watchdog, made on the first `watch` (unary attempts never need one). */
  watchdog?: StreamWatchdog;
  detach: () => void;
  settled: boolean;
  /** Aborts the attempt. Every abort goes through here, so a pending `race` learns of it directly. */
  abort(reason: AttemptAbort): void;
  /** The reject of the pending `race`, if one is waiting. */
  pendingRace?: (reason: unknown) => void;
}

/**
 * Whether the caller's signal fired for the deadline or for a cancel. The server aborts with a
 * GatewayError that says which; without one (direct engine callers), the clock decides.
 */
export function callerAbortCause(clock: Clock, context: CallContext): "deadline" | "canceled" {
  const reason: unknown = context.signal.reason;
  if (reason instanceof GatewayError) return reason.reason === "DEADLINE_EXCEEDED" ? "deadline" : "canceled";
  return clock.now() >= context.deadlineAt ? "deadline" : "canceled";
}

/** Starts the slot's timers and links it to the caller's signal. */
export function openAttemptSlot(options: {
  planned: PlannedAttempt;
  adapter: ProviderAdapter;
  retry: number;
  permit: BreakerPermit;
  clock: Clock;
  context: CallContext;
}): SlotState {
  const { planned, adapter, retry, permit, clock, context } = options;
  const now = clock.now();
  const deployment = planned.deployment;
  const timeouts = computeAttemptTimeouts(deployment.timeouts, now, context.deadlineAt);
  const latch = new AbortLatch();
  const abort = (reason: AttemptAbort): void => {
    if (latch.aborted) return;
    latch.abort(reason);
    const reject = slot.pendingRace;
    slot.pendingRace = undefined;
    reject?.(reason);
  };
  const onCallerAbort = (): void => abort(new AttemptAbort(callerAbortCause(clock, context)));
  context.signal.addEventListener("abort", onCallerAbort, { once: true });
  const untilDeadline = context.deadlineAt - now;
  const limitIsDeadline = untilDeadline <= deployment.timeouts.totalMs;
  // Timers through startTimer (clock.setTimer), not sleep + AbortController: an AbortController per timer
  // was measurable per request (and the watchdog's, re-armed around every delta, per delta).
  const stopTotal = startTimer(clock, Math.max(0, Math.min(untilDeadline, deployment.timeouts.totalMs)), () =>
    abort(new AttemptAbort(limitIsDeadline ? "deadline" : "attempt-timeout", "total")),
  );
  const slot: SlotState = {
    planned,
    deployment,
    adapter,
    retry,
    signal: latch,
    timeouts,
    startedAt: now,
    permit,
    latch,
    stopTotal,
    settled: false,
    abort,
    detach: () => context.signal.removeEventListener("abort", onCallerAbort),
    unwatch() {
      slot.watchdog?.disarm();
    },
    watch(ms, which) {
      if (slot.settled) return;
      slot.watchdog ??= new StreamWatchdog(clock, (limit) => abort(new AttemptAbort("attempt-timeout", limit)));
      slot.watchdog.arm(ms, which);
    },
    race<T>(promise: Promise<T>): Promise<T> {
      if (latch.aborted) {
        promise.catch(() => undefined);
        return Promise.reject(latch.reason);
      }
      return new Promise<T>((resolve, reject) => {
        slot.pendingRace = reject;
        promise.then(
          (value) => {
            if (slot.pendingRace === reject) slot.pendingRace = undefined;
            resolve(value);
          },
          (error: unknown) => {
            if (slot.pendingRace === reject) slot.pendingRace = undefined;
            reject(error);
          },
        );
      });
    },
  };
  if (context.signal.aborted) onCallerAbort();
  return slot;
}

/** Stops the slot's timers and unlinks it from the caller's signal. */
export function closeAttemptSlot(slot: SlotState): void {
  slot.settled = true;
  slot.stopTotal();
  slot.watchdog?.stop();
  slot.detach();
}
