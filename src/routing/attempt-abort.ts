import type { CallSignal } from "../providers/spec.js";
/**
 * Why an attempt's AbortController fired. The engine aborts an attempt for four reasons and must
 * tell them apart afterwards: the caller's deadline passed (DEADLINE_EXCEEDED, stop), the caller
 * canceled (CANCELED, stop), one of the attempt's own timeouts fired (a provider `timeout`, fall back),
 * or the client stopped reading a stream.
 */

export type AttemptAbortCause = "deadline" | "canceled" | "attempt-timeout";

/** The abort reason the engine puts on an attempt's signal. */
export class AttemptAbort extends Error {
  readonly why: AttemptAbortCause;
  readonly timeout?: "total" | "first-token" | "idle";

  constructor(cause: AttemptAbortCause, timeout?: "total" | "first-token" | "idle") {
    super(`attempt aborted: ${cause}${timeout ? ` (${timeout})` : ""}`);
    this.name = "AttemptAbort";
    this.why = cause;
    this.timeout = timeout;
  }
}

/**
 * Rejects with the signal's reason as soon as it aborts; `promise` otherwise. Guarantees the engine
 * moves on at once even if an adapter ignores its signal (the upstream call is still aborted through
 * the same signal).
 */
export function raceWithAbort<T>(promise: Promise<T>, signal: CallSignal): Promise<T> {
  if (signal.aborted) {
    promise.catch(() => undefined);
    return Promise.reject(signal.reason);
  }
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(signal.reason);
    signal.addEventListener("abort", onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener("abort", onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener("abort", onAbort);
        reject(error);
      },
    );
  });
}
