/**
 * The abort signal the engine and the adapters pass around: the part of the DOM `AbortSignal` they use
 * (`aborted`, `reason`, and an "abort" listener), so that a real `AbortSignal` is one, and so is the
 * much cheaper `AbortLatch` below.
 *
 * Why not `AbortController` everywhere: on Node 20, reading `controller.signal` builds an EventTarget and
 * re-prototypes it, ~12 µs, and the objects it makes outlive the next young-generation GC. Measured
 * (node --trace-gc-nvp, 400,000 signals): 4.9 MB promoted per scavenge and 9 ms pauses, against none for
 * plain objects; Node 24 has neither cost. Two signals per gateway call made those pauses most of its p99
 * latency on Node 20. A latch is a plain object with a list of listeners.
 */

/** A listener of the one event there is ("abort"); object listeners get `handleEvent()`. */
export type AbortListener = (() => void) | { handleEvent(): void };

export interface CallSignal {
  readonly aborted: boolean;
  /** Why it aborted (undefined until then). */
  readonly reason: unknown;
  addEventListener(type: "abort", listener: AbortListener, options?: { once?: boolean }): void;
  removeEventListener(type: "abort", listener: AbortListener): void;
}

/**
 * A `CallSignal` and its controller in one. As with the DOM's: `abort` fires once, later calls do
 * nothing; a listener added twice is held once; one added after the abort never fires. A listener that
 * throws does not stop the others, and its error is rethrown on the next tick, as Node's EventTarget
 * reports it.
 */
export class AbortLatch implements CallSignal {
  aborted = false;
  reason: unknown = undefined;
  private listeners: AbortListener[] | undefined;

  /** `options.once` is accepted and implied: the one "abort" event fires once. */
  addEventListener(_type: "abort", listener: AbortListener, _options?: { once?: boolean }): void {
    if (this.aborted) return;
    const listeners = (this.listeners ??= []);
    if (!listeners.includes(listener)) listeners.push(listener);
  }

  removeEventListener(_type: "abort", listener: AbortListener): void {
    const listeners = this.listeners;
    if (listeners === undefined) return;
    const index = listeners.indexOf(listener);
    if (index >= 0) listeners.splice(index, 1);
  }

  abort(reason: unknown): void {
    if (this.aborted) return;
    this.aborted = true;
    this.reason = reason;
    const listeners = this.listeners;
    this.listeners = undefined;
    if (listeners === undefined) return;
    for (const listener of listeners) {
      try {
        if (typeof listener === "function") listener();
        else listener.handleEvent();
      } catch (error) {
        process.nextTick(() => {
          throw error;
        });
      }
    }
  }
}
