/**
 * Time, injected. Everything in routing and resilience that waits or reads the time goes through a
 * `Clock`, so tests can run retries, back-off, deadlines and breaker open periods on virtual time
 * (cockatiel and Envoy test their breakers the same way).
 */

/** The engine's view of time: a millisecond wall clock and a cancellable sleep. */
export interface Clock {
  /** Milliseconds since the epoch (the same scale as `CallContext.deadlineAt`). */
  now(): number;
  /** Resolves after `ms`; rejects with the signal's reason as soon as `signal` aborts. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
  /**
   * Calls `callback` after `ms` unless the returned function is called first: the cheap form of `sleep`
   * for per-request timers (no promise, no AbortController, no listener). Optional so a clock can be a
   * plain `{ now, sleep }`; use `startTimer`, which falls back to `sleep`.
   */
  setTimer?(ms: number, callback: () => void): () => void;
}

/** The reason a fallback timer is stopped with (abort() without a reason builds a DOMException). */
const timerStopped = Object.freeze({ reason: "timer stopped" });
const ignore = (): void => undefined;

/** Calls `callback` after `ms` on `clock` unless the returned function is called first. */
export function startTimer(clock: Clock, ms: number, callback: () => void): () => void {
  if (clock.setTimer !== undefined) return clock.setTimer(ms, callback);
  const stop = new AbortController();
  clock.sleep(ms, stop.signal).then(callback, ignore);
  return () => stop.abort(timerStopped);
}

/** The real clock: `Date.now()` and `setTimeout`. */
export const systemClock: Clock = {
  now: () => Date.now(),
  sleep(ms, signal) {
    return new Promise<void>((resolve, reject) => {
      if (signal?.aborted) {
        reject(signal.reason);
        return;
      }
      const onAbort = (): void => {
        clearTimeout(timer);
        reject((signal as AbortSignal).reason);
      };
      const timer = setTimeout(() => {
        signal?.removeEventListener("abort", onAbort);
        resolve();
      }, Math.max(0, ms));
      signal?.addEventListener("abort", onAbort, { once: true });
    });
  },
  setTimer(ms, callback) {
    const timer = setTimeout(callback, Math.max(0, ms));
    return () => clearTimeout(timer);
  },
};

/** A virtual clock for tests. Time moves only when `advance` is called, or by itself with `autoAdvance`. */
export interface FakeClock extends Clock {
  /** Moves time forward by `ms`, firing every timer due on the way in order, letting promises settle between. */
  advance(ms: number): Promise<void>;
  /** Timers waiting to fire. */
  pendingTimers(): number;
  /** Sets the time directly (never backwards past a pending timer's due time). */
  set(now: number): void;
}

interface FakeTimer {
  at: number;
  seq: number;
  resolve: () => void;
}

/** Lets every queued promise continuation run before the next timer fires. */
function settle(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/**
 * Creates a fake clock starting at `start`. With `autoAdvance`, whenever the program is idle (all
 * promise continuations ran) and a timer is pending, time jumps to the earliest timer and fires it:
 * tests then read like real time but finish instantly and deterministically.
 */
export function createFakeClock(options: { start?: number; autoAdvance?: boolean } = {}): FakeClock {
  let now = options.start ?? 0;
  let seq = 0;
  const timers: FakeTimer[] = [];
  let tickScheduled = false;

  const takeDue = (limit: number): FakeTimer | undefined => {
    let best = -1;
    for (let index = 0; index < timers.length; index += 1) {
      const timer = timers[index];
      if (timer.at > limit) continue;
      if (best === -1 || timer.at < timers[best].at || (timer.at === timers[best].at && timer.seq < timers[best].seq)) {
        best = index;
      }
    }
    if (best === -1) return undefined;
    return timers.splice(best, 1)[0];
  };

  const scheduleTick = (): void => {
    if (!options.autoAdvance || tickScheduled) return;
    tickScheduled = true;
    setImmediate(() => {
      tickScheduled = false;
      const next = takeDue(Number.POSITIVE_INFINITY);
      if (next === undefined) return;
      now = Math.max(now, next.at);
      next.resolve();
      if (timers.length > 0) scheduleTick();
    });
  };

  return {
    now: () => now,
    sleep(ms, signal) {
      return new Promise<void>((resolve, reject) => {
        if (signal?.aborted) {
          reject(signal.reason);
          return;
        }
        const timer: FakeTimer = {
          at: now + Math.max(0, ms),
          seq: seq++,
          resolve: () => {
            signal?.removeEventListener("abort", onAbort);
            resolve();
          },
        };
        const onAbort = (): void => {
          const index = timers.indexOf(timer);
          if (index !== -1) timers.splice(index, 1);
          reject((signal as AbortSignal).reason);
        };
        signal?.addEventListener("abort", onAbort, { once: true });
        timers.push(timer);
        scheduleTick();
      });
    },
    setTimer(ms, callback) {
      const timer: FakeTimer = { at: now + Math.max(0, ms), seq: seq++, resolve: callback };
      timers.push(timer);
      scheduleTick();
      return () => {
        const index = timers.indexOf(timer);
        if (index !== -1) timers.splice(index, 1);
      };
    },
    async advance(ms) {
      const target = now + ms;
      await settle();
      for (;;) {
        const next = takeDue(target);
        if (next === undefined) break;
        now = Math.max(now, next.at);
        next.resolve();
        await settle();
      }
      now = target;
      await settle();
    },
    pendingTimers: () => timers.length,
    set(value) {
      now = value;
    },
  };
}
