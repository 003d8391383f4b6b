import { ProviderError, type CallWarning, type CompleteResult, type StreamPart } from "../spec.js";
import { createToolCallAssembler } from "./tool-call-assembler.js";

/**
 * Drains a stream of parts into the unary result: text and reasoning concatenated, tool calls
 * assembled by index, warnings and metadata kept, usage and finish reason from the one `finish`
 * part. Used by tests and by adapters whose unary call is implemented by streaming. A stream that
 * ends without `finish` is an adapter bug, reported as `malformed-response` rather than guessed.
 */
export async function collectStream(parts: AsyncIterable<StreamPart>): Promise<CompleteResult> {
  let text = "";
  let reasoning = "";
  const warnings: CallWarning[] = [];
  const toolCalls = createToolCallAssembler();
  let vendorModel: string | undefined;
  let responseId: string | undefined;
  let finish: Extract<StreamPart, { type: "finish" }> | undefined;

  for await (const part of parts) {
    switch (part.type) {
      case "warning":
        warnings.push(part.warning);
        break;
      case "metadata":
        vendorModel = part.vendorModel ?? vendorModel;
        responseId = part.responseId ?? responseId;
        break;
      case "text-delta":
        text += part.text;
        break;
      case "reasoning-delta":
        reasoning += part.text;
        break;
      case "tool-call-delta":
        toolCalls.add(part);
        break;
      case "finish":
        finish = part;
        break;
    }
  }
  if (finish === undefined) {
    throw new ProviderError("malformed-response", "The stream ended without a finish.");
  }
  const result: CompleteResult = {
    text,
    reasoning,
    toolCalls: toolCalls.toolCalls(),
    finishReason: finish.finishReason,
    rawFinishReason: finish.rawFinishReason,
    usage: finish.usage,
    warnings,
  };
  if (vendorModel !== undefined) result.vendorModel = vendorModel;
  if (responseId !== undefined) result.responseId = responseId;
  return result;
}
