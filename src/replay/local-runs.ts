/**
 * The runs this replica is running. A run is detached from the call that started it: it keeps that
 * call's deadline but has its own cancellation, so the duplicates and resumes that read it are served
 * however its first caller fares. It stops when nobody reads it any more: once the last reader here
 * left before the run ended, it is cancelled after `keepDetachedRunsMs` (0: at once) unless a reader came
 * back in that time, here or on another replica (`RunLog.readersElsewhere`). Cancelling aborts the run's
 * signal with the last reader's reason, and the engine aborts the vendor call with it.
 */
import { GatewayError, type CallContext } from "../gateway/types.js";
import type { RunLog } from "./run-log.js";

/** Why a reader stopped reading: `ended` when it saw the run's terminal entry. */
export interface Departure {
  /** The reader's cancellation reason, when its signal was aborted. */
  reason: unknown;
  ended: boolean;
}

export interface LocalRuns {
  /** Starts `produce` (which never rejects) as the run of `key`, detached from `context`'s cancellation. */
  start(key: string, context: CallContext, produce: (context: CallContext) => Promise<void>): void;
  /**
   * Counts a reader of `key` until the returned function is called. `elsewhere`: the claim found the run
   * running, maybe on another replica, whose readers then show themselves through `RunLog.attend`.
   */
  attend(key: string, elsewhere: boolean): (departure: Departure) => void;
  /** Cancels every run (shutdown). */
  cancelAll(reason: GatewayError): void;
}

interface LocalRun {
  controller: AbortController;
  readers: number;
  /** Why the last reader left; the run is cancelled with it. */
  lastReason?: unknown;
  /** The keep period, or the wait for readers on other replicas to lapse. */
  timer?: NodeJS.Timeout;
}

export function createLocalRuns(options: { log: RunLog; keepDetachedRunsMs: () => number; now: () => number }): LocalRuns {
  const { log, now } = options;
  const runs = new Map<string, LocalRun>();

  const current = (key: string, run: LocalRun): boolean => runs.get(key) === run && !run.controller.signal.aborted;

  function later(key: string, run: LocalRun, delayMs: number): void {
    run.timer = setTimeout(() => void cancelIfUnread(key, run), delayMs);
    run.timer.unref();
  }

  /** Synchronous without other replicas, so a cancel reaches the engine in the same turn. */
  async function cancelIfUnread(key: string, run: LocalRun): Promise<void> {
    run.timer = undefined;
    if (run.readers > 0 || !current(key, run)) return;
    if (log.readersElsewhere !== undefined) {
      const readMs = await log.readersElsewhere(key);
      if (run.readers > 0 || !current(key, run) || run.timer !== undefined) return;
      // A reader elsewhere renews its mark while it reads: look again when the mark would lapse.
      if (readMs > 0) return later(key, run, readMs + 1);
    }
    run.controller.abort(run.lastReason ?? new GatewayError("CANCELED", "every reader of this request went away"));
  }

  return {
    start(key, context, produce) {
      const controller = new AbortController();
      const run: LocalRun = { controller, readers: 0 };
      runs.set(key, run);
      const deadline = setTimeout(
        () => controller.abort(new GatewayError("DEADLINE_EXCEEDED", "the deadline passed")),
        Math.max(0, context.deadlineAt - now()),
      );
      deadline.unref();
      const detached = Object.create(context, { signal: { value: controller.signal, enumerable: true } }) as CallContext;
      const end = (): void => {
        clearTimeout(deadline);
        clearTimeout(run.timer);
        if (runs.get(key) === run) runs.delete(key);
      };
      produce(detached).then(end, end);
    },

    attend(key, elsewhere) {
      const run = runs.get(key);
      if (run === undefined) {
        const stop = elsewhere ? log.attend?.(key) : undefined;
        return () => stop?.();
      }
      run.readers++;
      clearTimeout(run.timer);
      run.timer = undefined;
      return ({ reason, ended }) => {
        run.readers--;
        if (ended || run.readers > 0 || !current(key, run)) return;
        run.lastReason = reason;
        const keepMs = options.keepDetachedRunsMs();
        if (keepMs > 0) later(key, run, keepMs);
        else void cancelIfUnread(key, run);
      };
    },

    cancelAll(reason) {
      for (const run of runs.values()) run.controller.abort(reason);
    },
  };
}
