/**
 * Unary execution: walk the plan's attempts until one answers, within the caller's deadline.
 */
import type { CallContext, GatewayRequest, GatewayResult, GatewayWarning } from "../gateway/types.js";
import type { CompleteResult } from "../providers/spec.js";
import { createAttemptWalker } from "./attempt-walker.js";
import { buildModelCall } from "./build-model-call.js";
import type { EngineRuntime } from "./engine-runtime.js";
import { preparePlan } from "./prepare-plan.js";
import type { ShadowHandle } from "./shadow.js";

/** Runs a unary completion. Resolves with the result or rejects with a GatewayError. */
export async function executeComplete(
  runtime: EngineRuntime,
  request: GatewayRequest,
  context: CallContext,
): Promise<GatewayResult> {
  const plan = await preparePlan(runtime, request, context, "complete");
  const walker = createAttemptWalker({ runtime, request, context, plan, continueOnInterruption: false });
  const warnings: GatewayWarning[] = [];
  let shadow: ShadowHandle | undefined;
  let shadowDecided = false;
  try {
    for (;;) {
      const slot = await walker.next();
      if (slot === undefined) throw walker.finalError();
      let result: CompleteResult;
      try {
        const call = buildModelCall(request, slot.deployment, slot.timeouts, warnings);
        const pending = slot.adapter.complete(call, slot.signal);
        if (!shadowDecided) {
          shadowDecided = true;
          shadow = runtime.shadow.start(plan, request);
        }
        result = await slot.race(pending);
      } catch (error) {
        await walker.failed(slot, walker.classify(slot, error));
        await walker.release(slot);
        continue;
      }
      await walker.succeeded(slot, { usage: result.usage, vendorModel: result.vendorModel });
      for (const warning of result.warnings) warnings.push({ ...warning, deployment: slot.deployment.name });
      const costMicroUsd = walker.costMicroUsd();
      shadow?.primaryFinished({ text: result.text, latencyMs: runtime.clock.now() - slot.startedAt, costMicroUsd });
      shadow = undefined;
      return {
        requestId: request.requestId,
        text: result.text,
        reasoning: result.reasoning,
        toolCalls: result.toolCalls,
        finishReason: result.finishReason,
        rawFinishReason: result.rawFinishReason,
        usage: result.usage,
        costMicroUsd,
        route: walker.route(),
        timings: { totalMs: runtime.clock.now() - context.receivedAt },
        warnings,
      };
    }
  } finally {
    shadow?.primaryFinished(undefined);
  }
}
