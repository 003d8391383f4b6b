import { ProviderError } from "../spec.js";
import { toProviderError } from "./network-error.js";

export interface ReadChunksOptions {
  /** Longest allowed gap between two chunks; a longer silence throws `ProviderError("timeout")`. */
  idleMs: number;
  /** The caller's signal; its abort throws `ProviderError("canceled")` at once. */
  signal: AbortSignal;
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
  let done = false;
  try {
    while (true) {
      const step = await nextWithin(iterator, options);
      if (step.done === true) {
        done = true;
        return;
      }
      yield step.value;
    }
  } finally {
    if (!done) {
      void Promise.resolve()
        .then(() => iterator.return?.())
        .catch(() => undefined);
    }
  }
}

function nextWithin(
  iterator: AsyncIterator<Uint8Array>,
  options: ReadChunksOptions,
): Promise<IteratorResult<Uint8Array>> {
  const { signal, idleMs } = options;
  if (signal.aborted) {
    return Promise.reject(new ProviderError("canceled", "The call was canceled by the caller.", { cause: signal.reason }));
  }
  return new Promise((resolve, reject) => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const cleanup = () => {
      if (timer !== undefined) clearTimeout(timer);
      signal.removeEventListener("abort", onAbort);
    };
    const onAbort = () => {
      cleanup();
      reject(new ProviderError("canceled", "The call was canceled by the caller.", { cause: signal.reason }));
    };
    signal.addEventListener("abort", onAbort, { once: true });
    if (Number.isFinite(idleMs) && idleMs > 0 && idleMs <= 2_147_483_647) {
      timer = setTimeout(() => {
        cleanup();
        reject(new ProviderError("timeout", "The upstream stream went idle for too long."));
      }, idleMs);
    }
    iterator.next().then(
      (step) => {
        cleanup();
        resolve(step);
      },
      (error: unknown) => {
        cleanup();
        reject(toProviderError(error, { caller: signal }));
      },
    );
  });
}
