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
import type { Attempt } from "./attempt.js";
import type { AttemptLedger } from "./attempt-ledger.js";
import { buildModelCall } from "./build-model-call.js";
import type { EngineRuntime } from "./engine-runtime.js";
import { execute, type ExecutionMode } from "./execute.js";
import { createToolCallCollector } from "./tool-call-collector.js";

type FinishPart = Extract<StreamPart, { type: "finish" }>;

/** Runs a streaming completion. Errors are thrown as GatewayError, never yielded. */
export function executeStream(
  runtime: EngineRuntime,
  request: GatewayRequest,
  context: CallContext,
): AsyncGenerator<GatewayEvent, void, undefined> {
  return execute(runtime, request, context, streamMode(runtime, request, context));
}

function streamMode(runtime: EngineRuntime, request: GatewayRequest, context: CallContext): ExecutionMode<GatewayEvent, void> {
  const { clock } = runtime;
  const warnings: GatewayWarning[] = [];
  const toolCalls = createToolCallCollector();
  /** Content (or the finish) reached the client: the stream is committed to what it sent. */
  let started = false;
  let text = "";
  let clientTtftMs: number | undefined;
  let previous: string | undefined;
  let attemptWarnings: GatewayWarning[] = [];

  const start = (attempt: Attempt): GatewayEvent => {
    started = true;
    return { type: "start", requestId: request.requestId, deployment: attempt.deployment.name, provider: attempt.deployment.provider };
  };

  /** The answer's events: `start` (when nothing was sent yet) and `finish`. */
  const closing = (attempt: Attempt, part: FinishPart, ledger: AttemptLedger): { events: GatewayEvent[]; result: undefined } => {
    warnings.push(...attemptWarnings);
    const events: GatewayEvent[] = started ? [] : [start(attempt)];
    events.push({
      type: "finish",
      finishReason: part.finishReason,
      rawFinishReason: part.rawFinishReason,
      usage: ledger.servedUsage(),
      costMicroUsd: ledger.costMicroUsd(),
      route: ledger.route(),
      timings: { timeToFirstTokenMs: clientTtftMs, totalMs: clock.now() - context.receivedAt },
      warnings,
      toolCalls: toolCalls.calls(),
    });
    return { events, result: undefined };
  };

  return {
    kind: "stream",
    async *runOne({ attempt, lastReason, called }) {
      const { deployment } = attempt;
      attemptWarnings = [];
      if (previous !== undefined && previous !== deployment.name) {
        const reason = started ? "PROVIDER_STREAM_INTERRUPTED" : (lastReason ?? "PROVIDER_UNAVAILABLE");
        yield { type: "fallback", fromDeployment: previous, toDeployment: deployment.name, reason };
      }
      previous = deployment.name;
      const call = buildModelCall(request, deployment, attempt.timeouts, attemptWarnings, started ? text : undefined);
      const upstream = attempt.stream(call);
      called();
      let vendorModel: string | undefined;
      attempt.watch("first-token");
      for (;;) {
        const content = attempt.timeToFirstTokenMs !== undefined;
        if (content) attempt.watch("idle");
        const step = await attempt.race(upstream.next());
        if (content) attempt.unwatch();
        if (step.done === true) throw new ProviderError("malformed-response", "The provider's stream ended without a finish.");
        const part = step.value;
        if (part.type === "warning") {
          attemptWarnings.push({ ...part.warning, deployment: deployment.name });
        } else if (part.type === "metadata") {
          vendorModel = part.vendorModel ?? vendorModel;
        } else if (part.type === "finish") {
          return { usage: part.usage, vendorModel, text, answer: (ledger) => closing(attempt, part, ledger) };
        } else {
          if (!content) attempt.firstContent();
          if (!started) {
            clientTtftMs = clock.now() - context.receivedAt;
            yield start(attempt);
          }
          if (part.type === "text-delta") text += part.text;
          if (part.type === "tool-call-delta") toolCalls.add(part);
          yield part;
        }
      }
    },
    attemptFailed() {
      if (started) warnings.push(...attemptWarnings);
      // A half-sent tool call cannot be resumed from a text prefix.
      return { committed: started, mayContinue: request.fallback.continueOnInterruption && toolCalls.size() === 0 };
    },
  };
}
