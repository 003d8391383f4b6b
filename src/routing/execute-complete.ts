/**
 * Unary execution: walk the plan's attempts until one answers, within the caller's deadline.
 */
import type { CallContext, GatewayRequest, GatewayResult, GatewayWarning } from "../gateway/types.js";
import { buildModelCall } from "./build-model-call.js";
import type { EngineRuntime } from "./engine-runtime.js";
import { execute, type ExecutionMode } from "./execute.js";
import type { FailureContext } from "./attempt-queue.js";

/** A unary attempt never sends anything before it answers. */
const nothingSent: FailureContext = { committed: false, mayContinue: false };

/** Runs a unary completion. Resolves with the result or rejects with a GatewayError. */
export async function executeComplete(
  runtime: EngineRuntime,
  request: GatewayRequest,
  context: CallContext,
): Promise<GatewayResult> {
  // A unary mode yields nothing: the first step is the end.
  const step = await execute(runtime, request, context, completeMode(runtime, request, context)).next();
  return step.value;
}

function completeMode(runtime: EngineRuntime, request: GatewayRequest, context: CallContext): ExecutionMode<never, GatewayResult> {
  const warnings: GatewayWarning[] = [];
  return {
    kind: "complete",
    async runOne({ attempt, called }) {
      const { deployment } = attempt;
      const call = buildModelCall(request, deployment, attempt.timeouts, warnings);
      const pending = attempt.complete(call);
      called();
      const answer = await attempt.race(pending);
      return {
        usage: answer.usage,
        vendorModel: answer.vendorModel,
        text: answer.text,
        answer: (ledger) => {
          for (const warning of answer.warnings) warnings.push({ ...warning, deployment: deployment.name });
          const result: GatewayResult = {
            requestId: request.requestId,
            text: answer.text,
            reasoning: answer.reasoning,
            toolCalls: answer.toolCalls,
            finishReason: answer.finishReason,
            rawFinishReason: answer.rawFinishReason,
            usage: answer.usage,
            costMicroUsd: ledger.costMicroUsd(),
            route: ledger.route(),
            timings: { totalMs: runtime.clock.now() - context.receivedAt },
            warnings,
          };
          return { result };
        },
      };
    },
    attemptFailed: () => nothingSent,
  };
}
