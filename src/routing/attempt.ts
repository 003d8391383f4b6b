/**
 * One upstream attempt: its own AbortController, linked to the caller's signal; its total timer (the
 * attempt's total timeout or the caller's deadline, whichever comes first); the stream watchdog
 * (first-token, then idle); and a race that lets the engine move on at once even when an adapter
 * ignores its signal. The abort reason says why the attempt was cut short: a GatewayError for the
 * caller's deadline or cancel (stop), a ProviderError `timeout` for one of its own limits (fall back).
 *
 * While the call waits inside the gateway for a connection to the vendor (the adapter says so through
 * `DispatchObserver`), only the caller's deadline runs: the total and first-token limits stop, and start
 * afresh when the call is sent. Our own queueing is never the vendor's time, nor its failure.
 */
import { GatewayError, type CallContext, type ErrorReason } from "../gateway/types.js";
import { reasonForProviderError } from "../gateway/reason-for-provider-error.js";
import {
  ProviderError,
  type AttemptTimeouts,
  type CompleteResult,
  type DispatchObserver,
  type ModelCall,
  type ProviderAdapter,
  type StreamPart,
} from "../providers/spec.js";
import type { Span } from "@opentelemetry/api";
import { startAttemptSpan } from "../observability/attempt-span.js";
import type { BreakerPermit } from "../resilience/circuit-breaker.js";
import { startTimer, type Clock } from "../resilience/clock.js";
import { computeAttemptTimeouts } from "./attempt-timeouts.js";
import type { PlannedAttempt } from "./plan.js";
import type { RouteDeployment } from "./route-table.js";
import { StreamWatchdog, type WatchdogLimit } from "./stream-watchdog.js";

/**
 * How an attempt ended badly, once classified. `busy`: the gateway's pool to the vendor had no
 * connection free and no room to wait for one, so nothing was sent (ours, not the vendor's).
 */
export type AttemptFailure =
  | { type: "provider"; error: ProviderError }
  | { type: "busy" }
  | { type: "deadline" }
  | { type: "canceled" };

/** The reason a failure is recorded and announced with. */
export function failureReason(failure: AttemptFailure): ErrorReason {
  switch (failure.type) {
    case "provider":
      return reasonForProviderError(failure.error.kind);
    case "busy":
      return "RATE_LIMITED";
    case "deadline":
      return "DEADLINE_EXCEEDED";
    case "canceled":
      return "CANCELED";
  }
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

/** setTimeout cannot wait longer than this. */
const maxTimerMs = 2_147_483_647;

const noTimer = (): void => undefined;

/**
 * What an attempt closed without serving is aborted with, made once: nothing waits on it by then, the abort
 * only closes what the adapter still holds open, and an Error per attempt would cost a stack trace.
 */
const released = new GatewayError("CANCELED", "The attempt is over.");

/**
 * One upstream call in progress. Closed exactly once, by the ledger. It is its call's dispatch observer,
 * so a wait for a connection costs no object.
 */
export class Attempt implements DispatchObserver {
  readonly planned: PlannedAttempt;
  readonly deployment: RouteDeployment;
  readonly retry: number;
  readonly permit: BreakerPermit;
  readonly timeouts: AttemptTimeouts;
  readonly startedAt: number;
  /** Aborted on the caller's deadline or cancel, one of the attempt's time limits, or close. */
  readonly signal: AbortSignal;
  /** The attempt's span (a child of the request span); the ledger ends it with the attempt's record. */
  readonly span: Span;
  /** The trace context the vendor request carries; undefined when the call is not traced. */
  readonly traceHeaders: Readonly<Record<string, string>> | undefined;
  private readonly controller = new AbortController();
  private stopTotal: () => void;
  private watchdog: StreamWatchdog | undefined;
  /** The limit the engine wants watched, kept while a wait for a connection holds the watchdog off. */
  private watching: WatchdogLimit | undefined;
  /** When the call started waiting for a connection, while it waits. */
  private waitingSince: number | undefined;
  private waitedMs = 0;
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
    const { span, headers } = startAttemptSpan(context.trace, {
      deployment: deployment.name,
      provider: deployment.provider,
      providerKind: deployment.providerKind,
      vendorModel: deployment.vendorModel,
      retry: admission.retry,
    });
    this.span = span;
    this.traceHeaders = headers;
    this.stopTotal = this.startTotalTimer(deployment.timeouts.totalMs);
    context.signal.addEventListener("abort", this.onCallerAbort, { once: true });
    if (context.signal.aborted) this.onCallerAbort();
  }

  /** Makes the unary upstream call; the adapter tells the attempt if the call waits for a connection. */
  complete(call: ModelCall): Promise<CompleteResult> {
    return this.adapter.complete({ ...call, dispatch: this }, this.signal);
  }

  /**
   * Opens the upstream stream; the adapter tells the attempt if the call waits for a connection. `close`
   * returns the stream, after the abort, so the adapter sees why it ends.
   */
  stream(call: ModelCall): AsyncIterator<StreamPart> {
    this.upstream = this.adapter.stream({ ...call, dispatch: this }, this.signal)[Symbol.asyncIterator]();
    return this.upstream;
  }

  /** The call waits for a connection: only the caller's deadline runs until it is sent. */
  waiting(): void {
    if (this.isClosed || this.waitingSince !== undefined) return;
    this.waitingSince = this.clock.now();
    this.stopTotal();
    this.stopTotal = this.startTotalTimer(Number.POSITIVE_INFINITY);
    this.watchdog?.disarm();
  }

  /** The call is sent: after a wait, the total and first-token limits start afresh from now. */
  sent(): void {
    if (this.isClosed || this.waitingSince === undefined) return;
    this.waitedMs += this.clock.now() - this.waitingSince;
    this.waitingSince = undefined;
    this.stopTotal();
    this.stopTotal = this.startTotalTimer(this.deployment.timeouts.totalMs);
    if (this.watching !== undefined) this.armWatchdog(this.watching);
  }

  /** Time the call spent waiting for a connection inside the gateway (so far). */
  get waitedForConnectionMs(): number {
    return this.waitedMs + (this.waitingSince === undefined ? 0 : this.clock.now() - this.waitingSince);
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
    this.unwatch();
  }

  /**
   * (Re)arms the stream watchdog: the attempt times out unless re-armed or disarmed within `limit`'s
   * time. While the call waits for a connection the limit is only noted, and armed once it is sent.
   */
  watch(limit: WatchdogLimit): void {
    if (this.isClosed) return;
    this.watching = limit;
    if (this.waitingSince === undefined) this.armWatchdog(limit);
  }

  /** Disarms the watchdog while the client, not the provider, is the slow side. */
  unwatch(): void {
    this.watching = undefined;
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

  private armWatchdog(limit: WatchdogLimit): void {
    this.watchdog ??= new StreamWatchdog(this.clock, (expired) => this.abort(timeoutError(expired)));
    this.watchdog.arm(limit === "idle" ? this.timeouts.idleMs : this.timeouts.firstTokenMs, limit);
  }

  /**
   * Aborts the attempt at the caller's deadline or after `totalMs` from now, whichever comes first; no
   * timer when both are further off than a timer can wait (setTimeout would fire at once instead).
   */
  private startTotalTimer(totalMs: number): () => void {
    const untilDeadline = this.context.deadlineAt - this.clock.now();
    const limitIsDeadline = untilDeadline <= totalMs;
    const limitMs = Math.max(0, Math.min(untilDeadline, totalMs));
    if (limitMs > maxTimerMs) return noTimer;
    return startTimer(this.clock, limitMs, () => this.abort(limitIsDeadline ? stopError("deadline") : timeoutError("total")));
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
