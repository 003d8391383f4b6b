/**
 * The adapter call for one attempt: the request as routing resolved it for one deployment.
 */
import type { GatewayRequest, GatewayWarning } from "../gateway/types.js";
import type { AttemptTimeouts, ChatMessage, ModelCall } from "../providers/spec.js";
import type { RouteDeployment } from "./route-table.js";

/**
 * Builds the call. `assistantPrefix`: a continuation sends the text already streamed as a final
 * assistant message for the model to carry on from. A requested `maxOutputTokens` above the
 * deployment's own limit is clamped, with a warning (never a silent change).
 */
export function buildModelCall(
  request: GatewayRequest,
  deployment: RouteDeployment,
  timeouts: AttemptTimeouts,
  warnings: GatewayWarning[],
  assistantPrefix?: string,
): ModelCall {
  let maxOutputTokens = request.sampling.maxOutputTokens;
  if (maxOutputTokens !== undefined && deployment.maxOutputTokens !== undefined && maxOutputTokens > deployment.maxOutputTokens) {
    warnings.push({
      code: "clamped-setting",
      message: `maxOutputTokens lowered from ${maxOutputTokens} to ${deployment.maxOutputTokens}, the deployment's limit`,
      deployment: deployment.name,
    });
    maxOutputTokens = deployment.maxOutputTokens;
  }
  const messages: ChatMessage[] =
    assistantPrefix === undefined
      ? request.messages
      : [...request.messages, { role: "assistant", parts: [{ type: "text", text: assistantPrefix }] }];
  return {
    vendorModel: deployment.vendorModel,
    messages,
    sampling: { ...request.sampling, maxOutputTokens },
    tools: request.tools,
    toolChoice: request.toolChoice,
    responseFormat: request.responseFormat,
    timeouts,
    requestId: request.requestId,
  };
}
