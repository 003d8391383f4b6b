/**
 * A handler context whose abort signal the call scope (call-scope.ts) may take over instead of linking a
 * second AbortController to it.
 *
 * Why: the call scope needs a signal that aborts on the client's cancel, the deadline and shutdown, with
 * a `GatewayError` reason the engine can read, plus the scope's own default deadline. Building that as a
 * new AbortController fed by the context's signal costs an AbortSignal (the most expensive object Node
 * 20 makes per call: ~1.5 % of a saturated core each) and a listener pair on every call. The contexts
 * we build ourselves (the fast paths', the grpc-js port's) own their controller, so they can instead
 * map their abort reasons through the scope's function and let the scope abort them directly.
 * connect's own contexts (streams on the main port) do not offer this; the scope links to them as before.
 */
import type { HandlerContext } from "@connectrpc/connect";
import type { CallSignal } from "../providers/spec.js";

/** What a context hands the scope that adopted its signal. */
export interface AdoptedSignal {
  /**
   * The signal to hand the engine: it aborts whenever the context's would, with the mapped reason. A
   * cheap `CallSignal`; the context builds its DOM `AbortSignal` only if something reads `context.signal`.
   */
  signal: CallSignal;
  /** Aborts the context's signal with `reason` as is (unless it aborted already). */
  abort(reason: unknown): void;
  /** The scope is over: later aborts carry the context's own reasons again, unmapped. */
  release(): void;
}

export interface AdoptableSignal {
  /**
   * From now on, every abort of the context's `signal` carries `mapReason(reason)` instead of its own
   * reason. Returns undefined when the signal has aborted already (the scope then links as usual).
   */
  adoptSignal(mapReason: (reason: unknown) => unknown): AdoptedSignal | undefined;
}

/** The context as an `AdoptableSignal`, when it is one. */
export function asAdoptableSignal(context: HandlerContext): AdoptableSignal | undefined {
  const candidate = context as HandlerContext & Partial<AdoptableSignal>;
  return typeof candidate.adoptSignal === "function" ? (candidate as AdoptableSignal) : undefined;
}
