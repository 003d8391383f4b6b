/**
 * The request messages of a client-streaming or bidi grpc-js call as the `AsyncIterable` a connect
 * implementation consumes. Node's own readable iterator would destroy the whole duplex when the
 * implementation stops reading early (taking the response side with it), so this one only detaches.
 * It pauses the stream while `highWaterMark` messages wait, and throws the signal's reason once the
 * call is cancelled.
 */
import type { Readable } from "node:stream";

const highWaterMark = 16;

/** Iterates the messages `stream` receives until the client half-closes or `signal` aborts. */
export function requestMessages<T>(stream: Readable, signal: AbortSignal): AsyncIterable<T> {
  return {
    [Symbol.asyncIterator](): AsyncIterator<T> {
      const waiting: T[] = [];
      let ended = false;
      let wake: (() => void) | undefined;
      const notify = (): void => {
        const resolve = wake;
        wake = undefined;
        resolve?.();
      };
      const onData = (message: T): void => {
        waiting.push(message);
        if (waiting.length >= highWaterMark) stream.pause();
        notify();
      };
      const onEnd = (): void => {
        ended = true;
        notify();
      };
      const detach = (): void => {
        stream.removeListener("data", onData);
        stream.removeListener("end", onEnd);
        signal.removeEventListener("abort", notify);
      };
      stream.on("data", onData);
      stream.once("end", onEnd);
      signal.addEventListener("abort", notify, { once: true });

      return {
        async next(): Promise<IteratorResult<T>> {
          for (;;) {
            if (signal.aborted) {
              detach();
              throw signal.reason;
            }
            const message = waiting.shift();
            if (message !== undefined) {
              if (waiting.length === 0 && stream.isPaused()) stream.resume();
              return { value: message, done: false };
            }
            if (ended) {
              detach();
              return { value: undefined, done: true };
            }
            await new Promise<void>((resolve) => {
              wake = resolve;
            });
          }
        },
        async return(): Promise<IteratorResult<T>> {
          detach();
          return { value: undefined, done: true };
        },
      };
    },
  };
}
