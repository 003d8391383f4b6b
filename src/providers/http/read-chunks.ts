import { ProviderError } from "../spec.js";
import { toProviderError } from "./network-error.js";

export interface ReadChunksOptions {
  /** Longest allowed gap between two chunks; a longer silence throws `ProviderError("timeout")`. */
  idleMs: number;
  /** The caller's signal; its abort throws `ProviderError("canceled")` at once. */
  signal: AbortSignal;
}

/** Options of the readers that split a stream's body into events (SSE events, NDJSON lines). */
export interface ReadEventsOptions extends ReadChunksOptions {
  /** The largest event accepted; a larger one throws `responseTooLarge("maxEventBytes")` (response-limits.ts). */
  maxEventBytes: number;
}

/**
 * Yields the chunks of a body, failing when the upstream goes quiet for longer than `idleMs` or the
 * caller aborts. The pending read is abandoned and the source's `return()` called without waiting,
 * so a body that hides a socket (see `createPooledClient`) releases it even while a read is stuck.
 *
 * An iterator rather than a generator: each `next()` is the read's own promise, so the SSE and NDJSON
 * readers above it pay no extra layer per chunk (docs/benchmarks.md, "Layers per event").
 */
export function readChunks(body: AsyncIterable<Uint8Array>, options: ReadChunksOptions): AsyncIterableIterator<Uint8Array> {
  return new ChunkReader(body[Symbol.asyncIterator](), options);
}

/** setTimeout cannot wait longer than this; a longer idle limit means none. */
const maxTimerMs = 2_147_483_647;

type PendingRead = { resolve: (step: IteratorResult<Uint8Array>) => void; reject: (error: unknown) => void };

const finished: IteratorReturnResult<undefined> = Object.freeze({ done: true, value: undefined });

/**
 * The idle limit and the caller's signal for one body, set up once rather than per chunk: one abort
 * listener for the whole body, and one timer re-armed with `refresh()` each time a read starts (an LLM
 * stream has hundreds of chunks, and a listener pair plus a timer per chunk was most of the cost of
 * reading one). The timer runs only while a read is pending: time the consumer spends on a chunk is not
 * the upstream being idle. Like a generator, it is done after its source ends, after any failure, and
 * after `return()`.
 */
class ChunkReader implements AsyncIterableIterator<Uint8Array>, EventListenerObject {
  private readonly signal: AbortSignal;
  private readonly idleMs: number | undefined;
  private timer: NodeJS.Timeout | undefined;
  private pending: PendingRead | undefined;
  private closed = false;
  private readonly onStep = (step: IteratorResult<Uint8Array>): void => {
    if (step.done === true) this.close(true);
    this.settle()?.resolve(step);
  };
  private readonly onError = (error: unknown): void => {
    this.fail(toProviderError(error, { caller: this.signal }));
  };

  constructor(
    private readonly source: AsyncIterator<Uint8Array>,
    options: ReadChunksOptions,
  ) {
    this.signal = options.signal;
    this.idleMs = Number.isFinite(options.idleMs) && options.idleMs > 0 && options.idleMs <= maxTimerMs ? options.idleMs : undefined;
    if (!this.signal.aborted) this.signal.addEventListener("abort", this, { once: true });
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  /** The next chunk, or a rejection on idle timeout or abort. */
  next(): Promise<IteratorResult<Uint8Array>> {
    if (this.closed) return Promise.resolve(finished);
    if (this.signal.aborted) {
      this.close(false);
      return Promise.reject(canceled(this.signal));
    }
    const read = new Promise<IteratorResult<Uint8Array>>((resolve, reject) => {
      this.pending = { resolve, reject };
    });
    if (this.idleMs !== undefined) {
      if (this.timer === undefined) this.timer = setTimeout(() => this.onIdle(), this.idleMs);
      else this.timer.refresh();
    }
    this.source.next().then(this.onStep, this.onError);
    return read;
  }

  /** The reader stops early: the source is returned without waiting, and a pending read ends. */
  return(): Promise<IteratorResult<Uint8Array>> {
    this.close(false);
    this.settle()?.resolve(finished);
    return Promise.resolve(finished);
  }

  /** The caller's signal fired. */
  handleEvent(): void {
    this.fail(canceled(this.signal));
  }

  private onIdle(): void {
    // Fired while no read was pending (the consumer was slow, not the upstream): nothing to time out.
    if (this.pending !== undefined) this.fail(new ProviderError("timeout", "The upstream stream went idle for too long."));
  }

  private fail(error: ProviderError): void {
    const pending = this.settle();
    if (pending === undefined) return;
    this.close(false);
    pending.reject(error);
  }

  /** Stops the timer and the listener; a source that has not ended is returned (never awaited). */
  private close(sourceEnded: boolean): void {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.timer);
    this.signal.removeEventListener("abort", this);
    if (!sourceEnded) {
      void Promise.resolve()
        .then(() => this.source.return?.())
        .catch(() => undefined);
    }
  }

  /**
   * Takes the pending read, if any. The idle timer is left running, not cleared: a cleared timer cannot
   * be re-armed by refresh(), and one that fires with no read pending does nothing.
   */
  private settle(): PendingRead | undefined {
    const pending = this.pending;
    this.pending = undefined;
    return pending;
  }
}

function canceled(signal: AbortSignal): ProviderError {
  return new ProviderError("canceled", "The call was canceled by the caller.", { cause: signal.reason });
}
