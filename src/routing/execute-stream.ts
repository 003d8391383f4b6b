/**
 * Streaming execution with a commit point. Until the first content part (text, reasoning or tool-call
 * delta) reaches the client, any failure falls back silently: the client sees only a `fallback`
 * notice. `start` is emitted lazily, right before the first content (or the finish), naming the
 * deployment that actually serves. After commit a failure ends the stream with
 * PROVIDER_STREAM_INTERRUPTED (never a normal finish), unless `continueOnInterruption` lets the next
 * deployment with `assistantPrefix` carry on from the text already sent.
 *
 * Event order: fallback*, start, (delta | fallback)*, finish. Watchdogs: first-token until the first
 * content, then idle between parts — disarmed while the client is reading, so a slow client never
 * looks like a slow provider.
 */
import type { CallContext, GatewayEvent, GatewayRequest, GatewayWarning } from "../gateway/types.js";
import { ProviderError, type StreamPart } from "../providers/spec.js";
import { createAttemptWalker } from "./attempt-walker.js";
import { buildModelCall } from "./build-model-call.js";
import type { EngineRuntime } from "./engine-runtime.js";
import { preparePlan } from "./prepare-plan.js";
import type { ShadowHandle } from "./shadow.js";
import { createToolCallCollector } from "./tool-call-collector.js";

type ContentPart = Extract<StreamPart, { type: "text-delta" | "reasoning-delta" | "tool-call-delta" }>;

function isContent(part: StreamPart): part is ContentPart {
  return part.type === "text-delta" || part.type === "reasoning-delta" || part.type === "tool-call-delta";
}

/** Runs a streaming completion. Errors are thrown as GatewayError, never yielded. */
export async function* executeStream(
  runtime: EngineRuntime,
  request: GatewayRequest,
  context: CallContext,
): AsyncGenerator<GatewayEvent, void, undefined> {
  const { clock } = runtime;
  const plan = await preparePlan(runtime, request, context, "stream");
  const walker = createAttemptWalker({
    runtime,
    request,
    context,
    plan,
    continueOnInterruption: request.fallback.continueOnInterruption,
  });
  const warnings: GatewayWarning[] = [];
  const toolCalls = createToolCallCollector();
  let started = false;
  let text = "";
  let clientTtftMs: number | undefined;
  let previous: string | undefined;
  let shadow: ShadowHandle | undefined;
  let shadowDecided = false;

  try {
    for (;;) {
      const slot = await walker.next();
      if (slot === undefined) throw walker.finalError();
      const attemptWarnings: GatewayWarning[] = [];
      let attemptTtftMs: number | undefined;
      let vendorModel: string | undefined;
      try {
        if (previous !== undefined && previous !== slot.deployment.name) {
          yield {
            type: "fallback",
            fromDeployment: previous,
            toDeployment: slot.deployment.name,
            reason: started ? "PROVIDER_STREAM_INTERRUPTED" : (walker.lastReason() ?? "PROVIDER_UNAVAILABLE"),
          };
        }
        previous = slot.deployment.name;
        const call = buildModelCall(request, slot.deployment, slot.timeouts, attemptWarnings, started ? text : undefined);
        const iterator = slot.adapter.stream(call, slot.signal)[Symbol.asyncIterator]();
        if (!shadowDecided) {
          shadowDecided = true;
          shadow = runtime.shadow.start(plan, request);
        }
        slot.watch(slot.timeouts.firstTokenMs, "first-token");
        try {
          for (;;) {
            if (attemptTtftMs !== undefined) slot.watch(slot.timeouts.idleMs, "idle");
            const step = await slot.race(iterator.next());
            if (attemptTtftMs !== undefined) slot.unwatch();
            if (step.done === true) {
              throw new ProviderError("malformed-response", "The provider's stream ended without a finish.");
            }
            const part = step.value;
            if (part.type === "warning") {
              attemptWarnings.push({ ...part.warning, deployment: slot.deployment.name });
            } else if (part.type === "metadata") {
              vendorModel = part.vendorModel ?? vendorModel;
            } else if (isContent(part)) {
              if (attemptTtftMs === undefined) {
                attemptTtftMs = clock.now() - slot.startedAt;
                slot.unwatch();
              }
              if (!started) {
                started = true;
                clientTtftMs = clock.now() - context.receivedAt;
                yield { type: "start", requestId: request.requestId, deployment: slot.deployment.name, provider: slot.deployment.provider };
              }
              if (part.type === "text-delta") text += part.text;
              if (part.type === "tool-call-delta") toolCalls.add(part);
              yield part;
            } else {
              await walker.succeeded(slot, { usage: part.usage, timeToFirstTokenMs: attemptTtftMs, vendorModel });
              warnings.push(...attemptWarnings);
              if (!started) {
                started = true;
                yield { type: "start", requestId: request.requestId, deployment: slot.deployment.name, provider: slot.deployment.provider };
              }
              const costMicroUsd = walker.costMicroUsd();
              shadow?.primaryFinished({ text, latencyMs: clock.now() - slot.startedAt, costMicroUsd });
              shadow = undefined;
              yield {
                type: "finish",
                finishReason: part.finishReason,
                rawFinishReason: part.rawFinishReason,
                usage: walker.servedUsage(),
                costMicroUsd,
                route: walker.route(),
                timings: { timeToFirstTokenMs: clientTtftMs, totalMs: clock.now() - context.receivedAt },
                warnings,
                toolCalls: toolCalls.calls(),
              };
              return;
            }
          }
        } finally {
          iterator.return?.().catch(() => undefined);
        }
      } catch (error) {
        const failure = walker.classify(slot, error);
        const committed = started;
        if (committed) warnings.push(...attemptWarnings);
        await walker.failed(slot, failure, {
          timeToFirstTokenMs: attemptTtftMs,
          committed,
          interrupted: attemptTtftMs !== undefined,
          // A half-sent tool call cannot be resumed from a text prefix.
          allowContinuation: request.fallback.continueOnInterruption && toolCalls.size() === 0,
        });
      } finally {
        await walker.release(slot);
      }
    }
  } finally {
    shadow?.primaryFinished(undefined);
  }
}
