/**
 * The attempt loop unary and streaming execution share: plan, then take admitted attempts from the
 * queue and run each through the mode's `runOne`. Everything around an attempt happens here, once:
 * classifying a failure, recording it, releasing the attempt, and the shadow call.
 */
import type { CallContext, ErrorReason, GatewayRequest } from "../gateway/types.js";
import { ConnectionsBusyError, ProviderError, type Usage } from "../providers/spec.js";
import { callerStop, type Attempt, type AttemptFailure } from "./attempt.js";
import { createAttemptLedger, type AttemptLedger } from "./attempt-ledger.js";
import { createAttemptQueue, type FailureContext } from "./attempt-queue.js";
import type { EngineRuntime } from "./engine-runtime.js";
import { preparePlan } from "./prepare-plan.js";
import type { ShadowHandle } from "./shadow.js";

/** One attempt, as a mode runs it. */
export interface AttemptRun {
  attempt: Attempt;
  /** Reason of the previous attempt's failure (for a stream's fallback notice). */
  lastReason: ErrorReason | undefined;
  /** Call right after making the upstream call: the shadow starts after the primary. */
  called(): void;
}

/** What an attempt that served the request hands back. */
export interface Served<E, R> {
  usage: Usage;
  vendorModel?: string;
  /** The answer's text, for the shadow comparison. */
  text: string;
  /**
   * The request's answer, built once the success is recorded (so route and cost include it): the
   * events still to send (a stream's start and finish) and what the request returns.
   */
  answer(ledger: AttemptLedger): { events?: E[]; result: R };
}

/** What differs between unary and streaming execution; one per request. */
export interface ExecutionMode<E, R> {
  kind: "complete" | "stream";
  /**
   * Runs one attempt: resolves or returns when it served, throws when it failed. A stream yields what
   * the client sees on the way; a unary call has nothing to send, so it returns a plain promise.
   */
  runOne(run: AttemptRun): AsyncGenerator<E, Served<E, R>, undefined> | Promise<Served<E, R>>;
  /** Called once per failed attempt, before the queue decides what follows it. */
  attemptFailed(): FailureContext;
}

/** What an error thrown while running `attempt` means; the attempt's own abort reason comes first. */
function classify(runtime: EngineRuntime, request: GatewayRequest, context: CallContext, attempt: Attempt, error: unknown): AttemptFailure {
  const aborted = attempt.abortedFailure();
  if (aborted !== undefined) return aborted;
  if (error instanceof ConnectionsBusyError) return { type: "busy" };
  if (error instanceof ProviderError) {
    if (error.kind === "canceled" && context.signal.aborted) return { type: callerStop(runtime.clock, context) };
    return { type: "provider", error };
  }
  runtime.logger.error(
    { err: error, deployment: attempt.deployment.name, requestId: request.requestId },
    "adapter threw something other than a ProviderError",
  );
  return {
    type: "provider",
    error: new ProviderError("malformed-response", "The provider adapter failed unexpectedly.", { cause: error }),
  };
}

/** Runs `request` in `mode`. Errors are thrown as GatewayError. */
export async function* execute<E, R>(
  runtime: EngineRuntime,
  request: GatewayRequest,
  context: CallContext,
  mode: ExecutionMode<E, R>,
): AsyncGenerator<E, R, undefined> {
  const plan = await preparePlan(runtime, request, context, mode.kind);
  // The caller's limits, checked meanwhile by the edge: a refused call reaches no vendor.
  if (context.admitted !== undefined) await context.admitted;
  const ledger = createAttemptLedger(runtime, request, context, plan);
  const queue = createAttemptQueue(runtime, request, context, plan);
  let shadow: ShadowHandle | undefined;
  let shadowDecided = false;
  const called = (): void => {
    if (shadowDecided) return;
    shadowDecided = true;
    shadow = runtime.shadow.start(plan, request);
  };

  try {
    for (;;) {
      const admission = await queue.next();
      if (admission === undefined) throw ledger.finalError(queue.ending());
      const attempt = ledger.open(admission);
      try {
        let served: Served<E, R>;
        try {
          const running = mode.runOne({ attempt, lastReason: ledger.lastReason(), called });
          served = running instanceof Promise ? await running : yield* running;
        } catch (error) {
          const failure = classify(runtime, request, context, attempt, error);
          const failureContext = mode.attemptFailed();
          await ledger.failed(attempt, failure);
          queue.failed(attempt, failure, failureContext);
          continue;
        }
        await ledger.succeeded(attempt, served);
        const answer = served.answer(ledger);
        const costMicroUsd = ledger.costMicroUsd();
        shadow?.primaryFinished({ text: served.text, latencyMs: runtime.clock.now() - attempt.startedAt, costMicroUsd });
        shadow = undefined;
        if (answer.events !== undefined) for (const event of answer.events) yield event;
        return answer.result;
      } finally {
        await ledger.release(attempt);
      }
    }
  } finally {
    shadow?.primaryFinished(undefined);
  }
}
