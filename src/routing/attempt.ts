/**
 * One upstream attempt: its own AbortController, linked to the caller's signal; its total timer (the
 * attempt's total timeout or the caller's deadline, whichever comes first); the stream watchdog
 * (first-token, then idle); and a race that lets the engine move on at once even when an adapter
 * ignores its signal. The abort reason says why the attempt was cut short: a GatewayError for the
 * caller's deadline or cancel (stop), a ProviderError `timeout` for one of its own limits (fall back).
 */
import { GatewayError, type CallContext, type ErrorReason } from "../gateway/types.js";
import { reasonForProviderError } from "../gateway/reason-for-provider-error.js";
import { ProviderError, type AttemptTimeouts, type CompleteResult, type ModelCall, type ProviderAdapter, type StreamPart } from "../providers/spec.js";
import type { BreakerPermit } from "../resilience/circuit-breaker.js";
import { startTimer, type Clock } from "../resilience/clock.js";
import { computeAttemptTimeouts } from "./attempt-timeouts.js";
import type { PlannedAttempt } from "./plan.js";
import type { RouteDeployment } from "./route-table.js";
import { StreamWatchdog, type WatchdogLimit } from "./stream-watchdog.js";

/** How an attempt ended badly, once classified. */
export type AttemptFailure =
  | { type: "provider"; error: ProviderError }
  | { type: "deadline" }
  | { type: "canceled" };

/** The reason a failure is recorded and announced with. */
export function failureReason(failure: AttemptFailure): ErrorReason {
  if (failure.type === "provider") return reasonForProviderError(failure.error.kind);
  return failure.type === "deadline" ? "DEADLINE_EXCEEDED" : "CANCELED";
}

/** A planned attempt its deployment's breaker let through. */
export interface Admission {
  planned: PlannedAttempt;
  /** 0 for the first try on this deployment. */
  retry: number;
  permit: BreakerPermit;
}

/**
 * Whether the caller's signal fired for the deadline or for a cancel. The server aborts with a
 * GatewayError that says which; without one (direct engine callers), the clock decides.
 */
export function callerStop(clock: Clock, context: CallContext): "deadline" | "canceled" {
  const reason: unknown = context.signal.reason;
  if (reason instanceof GatewayError) return reason.reason === "DEADLINE_EXCEEDED" ? "deadline" : "canceled";
  return clock.now() >= context.deadlineAt ? "deadline" : "canceled";
}

function stopError(stop: "deadline" | "canceled"): GatewayError {
  return stop === "deadline"
    ? new GatewayError("DEADLINE_EXCEEDED", "The deadline passed.")
    : new GatewayError("CANCELED", "The request was canceled.");
}

/**
 * What an attempt closed without serving is aborted with, made once: nothing waits on it by then, the abort
 * only closes what the adapter still holds open, and an Error per attempt would cost a stack trace.
 */
const released = new GatewayError("CANCELED", "The attempt is over.");

/** One upstream call in progress. Closed exactly once, by the ledger. */
export class Attempt {
  readonly planned: PlannedAttempt;
  readonly deployment: RouteDeployment;
  readonly retry: number;
  readonly permit: BreakerPermit;
  readonly timeouts: AttemptTimeouts;
  readonly startedAt: number;
  /** Aborted on the caller's deadline or cancel, one of the attempt's time limits, or close. */
  readonly signal: AbortSignal;
  private readonly controller = new AbortController();
  private readonly stopTotal: () => void;
  private watchdog: StreamWatchdog | undefined;
  private upstream: AsyncIterator<StreamPart> | undefined;
  /** The reject of the pending `race`, if one is waiting. */
  private pendingRace: ((reason: unknown) => void) | undefined;
  private firstContentAt: number | undefined;
  private isClosed = false;
  private readonly onCallerAbort = (): void => {
    const reason: unknown = this.context.signal.reason;
    this.abort(reason instanceof GatewayError ? reason : stopError(callerStop(this.clock, this.context)));
  };

  constructor(
    admission: Admission,
    private readonly adapter: ProviderAdapter,
    private readonly clock: Clock,
    private readonly context: CallContext,
  ) {
    const now = clock.now();
    const deployment = admission.planned.deployment;
    this.planned = admission.planned;
    this.deployment = deployment;
    this.retry = admission.retry;
    this.permit = admission.permit;
    this.startedAt = now;
    this.timeouts = computeAttemptTimeouts(deployment.timeouts, now, context.deadlineAt);
    this.signal = this.controller.signal;
    const untilDeadline = context.deadlineAt - now;
    const limitIsDeadline = untilDeadline <= deployment.timeouts.totalMs;
    this.stopTotal = startTimer(clock, Math.max(0, Math.min(untilDeadline, deployment.timeouts.totalMs)), () =>
      this.abort(limitIsDeadline ? stopError("deadline") : timeoutError("total")),
    );
    context.signal.addEventListener("abort", this.onCallerAbort, { once: true });
    if (context.signal.aborted) this.onCallerAbort();
  }

  /** Makes the unary upstream call. */
  complete(call: ModelCall): Promise<CompleteResult> {
    return this.adapter.complete(call, this.signal);
  }

  /** Opens the upstream stream; `close` returns it, after the abort, so the adapter sees why it ends. */
  stream(call: ModelCall): AsyncIterator<StreamPart> {
    this.upstream = this.adapter.stream(call, this.signal)[Symbol.asyncIterator]();
    return this.upstream;
  }

  get closed(): boolean {
    return this.isClosed;
  }

  /** Time from the attempt's start to its first content part (streams); undefined before it. */
  get timeToFirstTokenMs(): number | undefined {
    return this.firstContentAt === undefined ? undefined : this.firstContentAt - this.startedAt;
  }

  /** Notes the first content part, and disarms the first-token watchdog. */
  firstContent(): void {
    this.firstContentAt = this.clock.now();
    this.watchdog?.disarm();
  }

  /** (Re)arms the stream watchdog: the attempt times out unless re-armed or disarmed within `limit`'s time. */
  watch(limit: WatchdogLimit): void {
    if (this.isClosed) return;
    this.watchdog ??= new StreamWatchdog(this.clock, (expired) => this.abort(timeoutError(expired)));
    this.watchdog.arm(limit === "idle" ? this.timeouts.idleMs : this.timeouts.firstTokenMs, limit);
  }

  /** Disarms the watchdog while the client, not the provider, is the slow side. */
  unwatch(): void {
    this.watchdog?.disarm();
  }

  /**
   * `promise`, or a rejection with the abort reason as soon as the attempt aborts. One race at a time;
   * it needs no listener on the signal, because every abort goes through `abort`.
   */
  race<T>(promise: Promise<T>): Promise<T> {
    if (this.signal.aborted) {
      promise.catch(() => undefined);
      return Promise.reject(this.signal.reason);
    }
    return new Promise<T>((resolve, reject) => {
      this.pendingRace = reject;
      promise.then(
        (value) => {
          if (this.pendingRace === reject) this.pendingRace = undefined;
          resolve(value);
        },
        (error: unknown) => {
          if (this.pendingRace === reject) this.pendingRace = undefined;
          reject(error);
        },
      );
    });
  }

  /** Why the attempt was aborted, as a failure; undefined if it was not. */
  abortedFailure(): AttemptFailure | undefined {
    if (!this.signal.aborted) return undefined;
    const reason: unknown = this.signal.reason;
    if (reason instanceof ProviderError) return { type: "provider", error: reason };
    return { type: reason instanceof GatewayError && reason.reason === "DEADLINE_EXCEEDED" ? "deadline" : "canceled" };
  }

  /**
   * Stops the timers, unlinks from the caller's signal and returns the upstream stream. Unless the call
   * `served` (then the adapter holds nothing open, and an abort event would cost for nothing), aborts first.
   */
  close(served: boolean): void {
    if (this.isClosed) return;
    this.isClosed = true;
    this.stopTotal();
    this.watchdog?.stop();
    this.context.signal.removeEventListener("abort", this.onCallerAbort);
    if (!served) this.abort(released);
    this.upstream?.return?.().catch(() => undefined);
  }

  private abort(reason: Error): void {
    if (this.signal.aborted) return;
    this.controller.abort(reason);
    const reject = this.pendingRace;
    this.pendingRace = undefined;
    reject?.(reason);
  }
}

function timeoutError(limit: WatchdogLimit | "total"): ProviderError {
  return new ProviderError("timeout", `No ${limit} within the attempt's time limit.`);
}
