/**
 * How late the event loop runs: a timer every `intervalMs` notes how much later than due it fired,
 * and every `windowMs` the most of those goes to `report`. A turn of the loop that holds it for 300 ms
 * shows as ~300 ms, which is what a health check arriving meanwhile waits. The timer is unref'd (it
 * never keeps the process up) and stops itself once `busy()` says there is nothing to watch;
 * `wake()` starts it again.
 */
export interface LoopDelayProbe {
  /** Starts sampling if it is not running; cheap to call on every call. */
  wake(): void;
  stop(): void;
}

export function createLoopDelayProbe(options: {
  report: (maxDelayMs: number) => void;
  /** Whether to keep sampling; checked at the end of each window. */
  busy: () => boolean;
  intervalMs?: number;
  windowMs?: number;
}): LoopDelayProbe {
  const intervalMs = options.intervalMs ?? 20;
  const windowMs = options.windowMs ?? 100;
  let timer: NodeJS.Timeout | undefined;
  let last = 0;
  let windowStart = 0;
  let windowMax = 0;

  const tick = (): void => {
    const now = performance.now();
    windowMax = Math.max(windowMax, now - last - intervalMs);
    last = now;
    if (now - windowStart < windowMs) return;
    options.report(Math.max(0, windowMax));
    windowStart = now;
    windowMax = 0;
    if (!options.busy()) stop();
  };

  const stop = (): void => {
    if (timer !== undefined) clearInterval(timer);
    timer = undefined;
  };

  return {
    wake() {
      if (timer !== undefined) return;
      last = windowStart = performance.now();
      windowMax = 0;
      timer = setInterval(tick, intervalMs);
      timer.unref();
    },
    stop,
  };
}
