/**
 * The engine the server holds across config reloads: a `CompletionEngine` that hands each call to the
 * engine current when the call starts, and keeps that engine for the whole call, so a reload never
 * changes the config under a running call. `swap()` makes a new engine current at once (new calls go
 * to it) and retires the old one: it is closed when its last call ends, or after `drainTimeoutMs`,
 * whichever comes first (a call cannot outlive its deadline, so the timeout only guards against a leak).
 */
import type { Logger } from "pino";
import type { CallContext, CompletionEngine, GatewayEvent, GatewayRequest, GatewayResult } from "./types.js";

export interface EngineHolder extends CompletionEngine {
  /** The engine new calls go to. */
  current(): CompletionEngine;
  /** Makes `next` current; the previous engine closes once its running calls have ended. After `close()`, closes `next`. */
  swap(next: CompletionEngine): void;
  /** Engines replaced but not closed yet (still finishing calls). */
  retiringCount(): number;
}

export interface EngineHolderOptions {
  logger: Logger;
  /** Longest wait for a retired engine's calls before it is closed anyway. */
  drainTimeoutMs: number;
}

/** One engine and the calls running on it. */
interface Slot {
  engine: CompletionEngine;
  calls: number;
  /** Set once the engine is replaced: closes it when `calls` reaches 0. */
  onIdle?: () => void;
}

export function createEngineHolder(initial: CompletionEngine, options: EngineHolderOptions): EngineHolder {
  let current: Slot = { engine: initial, calls: 0 };
  const retiring = new Set<Slot>();
  const closings = new Set<Promise<void>>();
  let closed = false;

  const closeSlot = (slot: Slot, why: string): void => {
    if (!retiring.delete(slot)) return;
    if (slot.calls > 0) options.logger.warn({ running: slot.calls }, "a replaced engine is closed with calls still running");
    const closing = slot.engine.close().then(
      () => options.logger.info({ why }, "the engine of the replaced config is closed"),
      (error: unknown) => options.logger.warn({ err: error, why }, "closing a replaced engine failed"),
    );
    closings.add(closing);
    void closing.finally(() => closings.delete(closing));
  };

  /** Pins the current engine for one call; `release` must be called exactly once when the call ends. */
  const acquire = (): { slot: Slot; release: () => void } => {
    const slot = current;
    slot.calls++;
    let released = false;
    return {
      slot,
      release: () => {
        if (released) return;
        released = true;
        slot.calls--;
        if (slot.calls === 0) slot.onIdle?.();
      },
    };
  };

  async function* pinnedStream(request: GatewayRequest, context: CallContext): AsyncGenerator<GatewayEvent, void, undefined> {
    // The body runs on the first read, which the server does at once: the stream is pinned from then
    // until it finishes, fails or its reader stops (return()).
    const { slot, release } = acquire();
    try {
      yield* slot.engine.stream(request, context);
    } finally {
      release();
    }
  }

  return {
    current: () => current.engine,
    retiringCount: () => retiring.size,
    swap(next) {
      if (closed) {
        // A reload that finished after shutdown began: nothing will serve on this engine.
        void next.close().catch((error: unknown) => options.logger.warn({ err: error }, "closing a late engine failed"));
        return;
      }
      const previous = current;
      current = { engine: next, calls: 0 };
      retiring.add(previous);
      if (previous.calls === 0) {
        closeSlot(previous, "idle");
        return;
      }
      const timer = setTimeout(() => closeSlot(previous, "drain timeout"), options.drainTimeoutMs);
      timer.unref();
      previous.onIdle = () => {
        clearTimeout(timer);
        closeSlot(previous, "last call ended");
      };
    },
    async complete(request, context): Promise<GatewayResult> {
      const { slot, release } = acquire();
      try {
        return await slot.engine.complete(request, context);
      } finally {
        release();
      }
    },
    stream: pinnedStream,
    listModels: () => current.engine.listModels(),
    deploymentStats: (names) => current.engine.deploymentStats(names),
    /** Closes the current engine and every retiring one at once (the server has drained by now). */
    async close() {
      closed = true;
      for (const slot of [...retiring]) closeSlot(slot, "shutdown");
      await Promise.all([current.engine.close(), ...closings]);
    },
  };
}
