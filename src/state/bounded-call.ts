/**
 * A Redis call bounded in time (every Redis call of the process goes through it), without mistaking a busy event loop for a silent Redis. A timer that
 * fires late because this process was busy (a burst of calls) would fail a call whose answer is already
 * in the socket's buffer, and the limiter would fall back to per-replica counting exactly when exactness
 * matters. So when the time is up, the answer gets one more turn of the event loop's I/O phase (a
 * `setImmediate` runs after it) before the call fails.
 */
export function boundedCall<T>(run: () => Promise<T>, timeoutMs: number): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    let settled = false;
    const timer = setTimeout(
      () =>
        setImmediate(() => {
          if (!settled) reject(new Error(`Redis did not answer within ${timeoutMs} ms`));
        }),
      timeoutMs,
    );
    run().then(
      (value) => {
        settled = true;
        clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        settled = true;
        clearTimeout(timer);
        reject(error);
      },
    );
  });
}
