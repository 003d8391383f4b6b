import { describe, expect, it, vi } from "vitest";
import { AbortLatch, type CallSignal } from "./call-signal.js";

describe("AbortLatch", () => {
  it("calls each listener once, function or object, with the reason readable", () => {
    const latch = new AbortLatch();
    const seen: unknown[] = [];
    const listener = (): void => void seen.push(["fn", latch.reason]);
    const object = { handleEvent: () => void seen.push(["object", latch.aborted]) };
    latch.addEventListener("abort", listener);
    latch.addEventListener("abort", listener);
    latch.addEventListener("abort", object, { once: true });
    latch.abort("why");
    latch.abort("again");
    expect(seen).toEqual([["fn", "why"], ["object", true]]);
    expect([latch.aborted, latch.reason]).toEqual([true, "why"]);
  });

  it("does not call a removed listener, nor one added after the abort", () => {
    const latch = new AbortLatch();
    const removed = vi.fn();
    const late = vi.fn();
    latch.addEventListener("abort", removed);
    latch.removeEventListener("abort", removed);
    latch.abort(undefined);
    latch.addEventListener("abort", late);
    expect(removed).not.toHaveBeenCalled();
    expect(late).not.toHaveBeenCalled();
  });

  it("keeps calling the others when a listener throws, and rethrows its error on the next tick", async () => {
    const latch = new AbortLatch();
    const after = vi.fn();
    latch.addEventListener("abort", () => {
      throw new Error("listener failed");
    });
    latch.addEventListener("abort", after);
    const uncaught = new Promise<unknown>((resolve) => process.once("uncaughtException", resolve));
    // vitest reports uncaught exceptions as failures unless something handles them: this listener does.
    latch.abort("x");
    expect(after).toHaveBeenCalledOnce();
    expect(((await uncaught) as Error).message).toBe("listener failed");
  });

  it("is what a DOM AbortSignal already is, so either can be passed where a CallSignal is taken", () => {
    const signal: CallSignal = new AbortController().signal;
    const latch: CallSignal = new AbortLatch();
    expect([signal.aborted, latch.aborted]).toEqual([false, false]);
  });
});
