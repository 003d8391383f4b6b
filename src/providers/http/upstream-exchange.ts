/**
 * One request/response exchange with an upstream, as an undici dispatch handler: the response head
 * resolves a promise, the body chunks queue up for one reader (an async iterator, or `text()`), and
 * aborts come from the caller's signal, the total time limit, or the reader stopping early. Before it is
 * dispatched an exchange may wait in its pool's queue for a connection (pooled-client.ts); an abort then
 * only takes it out of the queue. The total time limit runs from the moment undici writes the request to
 * a connection (`onRequestStart`), so that wait is never the vendor's time.
 *
 * Why a handler of our own rather than undici's `request()`: that API wraps every response body in a
 * Node `Readable` and every read in its async-iterator machinery, and links one more AbortController
 * per request; for a gateway whose upstream bodies are small JSON documents or SSE chunks consumed
 * once, that was the larger part of undici's cost per call. Here the exchange is one object per request
 * (also the caller-signal listener, so no closure is made for it), and the body is a plain queue with
 * backpressure: the socket is paused while `maxQueuedBytes` wait unread.
 *
 * Why a class: the methods are undici's handler interface and live on the prototype, so a request
 * allocates one object instead of a dozen closures.
 */
import type { IncomingHttpHeaders } from "node:http";
import type { Dispatcher } from "undici";
import type { DispatchObserver } from "../spec.js";

/** Status and headers of a response, as undici parsed them (lower-case names). */
export interface ResponseHead {
  status: number;
  headers: IncomingHttpHeaders;
}

/** Abort reasons of our own, made once: an `abort()` never builds an error per request. */
export const releasedReason = new Error("released: the consumer stopped reading");
export const totalLimitReason = new Error("the total time limit passed");

/**
 * The pool an exchange belongs to; one object per pool, so an exchange holds no closure of its own. Told
 * of each exchange's end exactly once: `ended` after it was dispatched, `abandoned` if it never was.
 */
export interface ExchangeOwner {
  /** A dispatched exchange is over: its connection may take the next call. */
  ended(): void;
  /** An exchange gave up while it waited for a connection. */
  abandoned(): void;
}

/** Unread body bytes above which the socket is paused until the reader catches up. */
const maxQueuedBytes = 256 * 1024;

interface PendingRead {
  resolve: (step: IteratorResult<Uint8Array>) => void;
  reject: (error: unknown) => void;
}

const done: IteratorReturnResult<undefined> = Object.freeze({ done: true, value: undefined });

export class UpstreamExchange implements Dispatcher.DispatchHandler, EventListenerObject {
  /** Resolves with the response head; rejects with the raw error (the caller maps it). */
  readonly head: Promise<ResponseHead>;
  /** Set when the total time limit aborted the exchange (read by `toProviderError`). */
  readonly totalLimit = { aborted: false };
  /** In its pool's queue, waiting for a connection. */
  waiting = false;
  /** Handed to undici: its end frees a connection. */
  private dispatched = false;
  private totalMs: number | undefined;
  private totalTimer: NodeJS.Timeout | undefined;

  private resolveHead!: (head: ResponseHead) => void;
  private rejectHead!: (error: unknown) => void;
  private controller: Dispatcher.DispatchController | undefined;
  /** An abort asked for before undici handed over its controller. */
  private pendingAbort: Error | undefined;
  private started = false;
  private settled = false;
  private released = false;
  private queue: Buffer[] = [];
  private queuedBytes = 0;
  private ended = false;
  private failure: unknown;
  private failed = false;
  private reader: PendingRead | undefined;

  constructor(
    private readonly caller: AbortSignal,
    private readonly owner: ExchangeOwner,
    /** What undici is asked to send. */
    private readonly options: Dispatcher.DispatchOptions,
    private readonly observer: DispatchObserver | undefined,
  ) {
    this.head = new Promise<ResponseHead>((resolve, reject) => {
      this.resolveHead = resolve;
      this.rejectHead = reject;
    });
  }

  /** The caller's signal fired. */
  handleEvent(): void {
    this.abort(asError(this.caller.reason));
  }

  /**
   * Aborts the exchange if it is not over within `totalMs` of being written to a connection; settling
   * clears the timer. The timer calls a module function with the exchange as its argument rather than a
   * closure: on Node 24 a per-request closure stored on the exchange kept each call's objects alive
   * through later scavenges (docs/benchmarks.md, third pass).
   */
  limitTotal(totalMs: number): void {
    this.totalMs = totalMs;
  }

  /** Hands the exchange to undici (from the pool's queue, or at once). */
  dispatchOn(dispatcher: Dispatcher): void {
    this.waiting = false;
    this.dispatched = true;
    try {
      dispatcher.dispatch(this.options, this);
    } catch (error) {
      this.onResponseError(undefined, asError(error));
    }
  }

  /** Puts the exchange in its pool's queue and tells the observer it waits. */
  wait(): void {
    this.waiting = true;
    this.observer?.waiting();
  }

  /** Fails the exchange with `reason` (the pool closing). */
  fail(reason: Error): void {
    this.abort(reason);
  }

  abortForTotalLimit(): void {
    this.totalLimit.aborted = true;
    this.abort(totalLimitReason);
  }

  /** The reader is done with the body before its end: abort the exchange (the socket is closed, not drained). */
  release(): void {
    if (this.settled) return;
    this.released = true;
    this.abort(releasedReason);
  }

  /** The next body chunk; rejects with the raw error of a failed body. */
  read(): Promise<IteratorResult<Uint8Array>> {
    const chunk = this.queue.shift();
    if (chunk !== undefined) {
      this.queuedBytes -= chunk.byteLength;
      if (this.controller?.paused === true && this.queuedBytes < maxQueuedBytes) this.controller.resume();
      return Promise.resolve({ done: false, value: chunk });
    }
    if (this.failed) return this.released ? Promise.resolve(done) : Promise.reject(this.failure);
    if (this.ended || this.released) return Promise.resolve(done);
    return new Promise((resolve, reject) => {
      this.reader = { resolve, reject };
    });
  }

  /**
   * The whole body as UTF-8, decoded once at the end; undefined as soon as it passes `maxBytes`, when the
   * exchange is released (the socket closed) rather than read on.
   */
  async text(maxBytes: number): Promise<string | undefined> {
    const chunks: Buffer[] = [];
    let total = 0;
    for (;;) {
      const step = await this.read();
      if (step.done === true) break;
      const chunk = step.value as Buffer;
      total += chunk.byteLength;
      if (total > maxBytes) {
        this.release();
        return undefined;
      }
      chunks.push(chunk);
    }
    return (chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, total)).toString("utf8");
  }

  /** undici writes the request to a connection now: the vendor's time starts. */
  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.controller = controller;
    if (this.pendingAbort !== undefined) {
      controller.abort(this.pendingAbort);
      return;
    }
    if (this.totalMs !== undefined && this.totalTimer === undefined && !this.settled) {
      this.totalTimer = setTimeout(abortForTotalLimit, this.totalMs, this);
      this.totalTimer.unref();
    }
    this.observer?.sent();
  }

  onResponseStart(controller: Dispatcher.DispatchController, statusCode: number, headers: IncomingHttpHeaders): void {
    // 1xx heads (100 Continue, 103 Early Hints) are not the response.
    if (statusCode < 200) return;
    this.started = true;
    this.resolveHead({ status: statusCode, headers });
  }

  onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    const reader = this.reader;
    if (reader !== undefined) {
      this.reader = undefined;
      reader.resolve({ done: false, value: chunk });
      return;
    }
    this.queue.push(chunk);
    this.queuedBytes += chunk.byteLength;
    if (this.queuedBytes >= maxQueuedBytes) controller.pause();
  }

  onResponseEnd(): void {
    this.ended = true;
    this.settle();
    const reader = this.reader;
    this.reader = undefined;
    reader?.resolve(done);
  }

  onResponseError(_controller: Dispatcher.DispatchController | undefined, error: Error): void {
    this.failed = true;
    this.failure = error;
    this.settle();
    if (!this.started) {
      this.rejectHead(error);
      return;
    }
    const reader = this.reader;
    this.reader = undefined;
    if (reader === undefined) return;
    if (this.released) reader.resolve(done);
    else reader.reject(error);
  }

  private abort(reason: Error): void {
    if (this.settled) return;
    if (this.waiting) {
      // Never sent: it leaves the queue, and no connection is spent on it.
      this.waiting = false;
      this.onResponseError(undefined, reason);
    } else if (this.controller === undefined) {
      this.pendingAbort ??= reason;
    } else {
      this.controller.abort(reason);
    }
  }

  private settle(): void {
    if (this.settled) return;
    this.settled = true;
    this.caller.removeEventListener("abort", this);
    if (this.totalTimer !== undefined) clearTimeout(this.totalTimer);
    if (this.dispatched) this.owner.ended();
    else this.owner.abandoned();
  }
}

function abortForTotalLimit(exchange: UpstreamExchange): void {
  exchange.abortForTotalLimit();
}

/** undici's controller takes an Error; a signal's reason may be anything. */
function asError(reason: unknown): Error {
  return reason instanceof Error ? reason : new Error(String(reason));
}
