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
 */
export async function* readChunks(
  body: AsyncIterable<Uint8Array>,
  options: ReadChunksOptions,
): AsyncGenerator<Uint8Array, void, undefined> {
  const iterator = body[Symbol.asyncIterator]();
  const watch = new ChunkWatch(options);
  let done = false;
  try {
    while (true) {
      const step = await watch.next(iterator);
      if (step.done === true) {
        done = true;
        return;
      }
      yield step.value;
    }
  } finally {
    watch.close();
    if (!done) {
      void Promise.resolve()
        .then(() => iterator.return?.())
        .catch(() => undefined);
    }
  }
}

/** setTimeout cannot wait longer than this; a longer idle limit means none. */
const maxTimerMs = 2_147_483_647;

/**
 * The idle limit and the caller's signal for one body, set up once rather than per chunk: one abort
 * listener for the whole body, and one timer re-armed with `refresh()` each time a read starts (an LLM
 * stream has hundreds of chunks, and a listener pair plus a timer per chunk was most of the cost of
 * reading one). The timer runs only while a read is pending: time the consumer spends on a chunk is not
 * the upstream being idle.
 */
class ChunkWatch implements EventListenerObject {
  private readonly signal: AbortSignal;
  private readonly idleMs: number | undefined;
  private timer: NodeJS.Timeout | undefined;
  private pending: { resolve: (step: IteratorResult<Uint8Array>) => void; reject: (error: unknown) => void } | undefined;
  private closed = false;
  private readonly onStep = (step: IteratorResult<Uint8Array>): void => {
    const pending = this.settle();
    pending?.resolve(step);
  };
  private readonly onError = (error: unknown): void => {
    const pending = this.settle();
    pending?.reject(toProviderError(error, { caller: this.signal }));
  };

  constructor(options: ReadChunksOptions) {
    this.signal = options.signal;
    this.idleMs = Number.isFinite(options.idleMs) && options.idleMs > 0 && options.idleMs <= maxTimerMs ? options.idleMs : undefined;
    if (!this.signal.aborted) this.signal.addEventListener("abort", this, { once: true });
  }

  /** The next step of `iterator`, or a rejection on idle timeout or abort. */
  next(iterator: AsyncIterator<Uint8Array>): Promise<IteratorResult<Uint8Array>> {
    if (this.signal.aborted) return Promise.reject(canceled(this.signal));
    const read = new Promise<IteratorResult<Uint8Array>>((resolve, reject) => {
      this.pending = { resolve, reject };
    });
    if (this.idleMs !== undefined) {
      if (this.timer === undefined) this.timer = setTimeout(() => this.onIdle(), this.idleMs);
      else this.timer.refresh();
    }
    iterator.next().then(this.onStep, this.onError);
    return read;
  }

  /** The caller's signal fired. */
  handleEvent(): void {
    const pending = this.settle();
    pending?.reject(canceled(this.signal));
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.timer);
    this.signal.removeEventListener("abort", this);
  }

  private onIdle(): void {
    // Fired while no read was pending (the consumer was slow, not the upstream): nothing to time out.
    const pending = this.settle();
    pending?.reject(new ProviderError("timeout", "The upstream stream went idle for too long."));
  }

  /**
   * Takes the pending read, if any. The idle timer is left running, not cleared: a cleared timer cannot
   * be re-armed by refresh(), and one that fires with no read pending does nothing.
   */
  private settle(): { resolve: (step: IteratorResult<Uint8Array>) => void; reject: (error: unknown) => void } | undefined {
    const pending = this.pending;
    this.pending = undefined;
    return pending;
  }
}

function canceled(signal: AbortSignal): ProviderError {
  return new ProviderError("canceled", "The call was canceled by the caller.", { cause: signal.reason });
}
