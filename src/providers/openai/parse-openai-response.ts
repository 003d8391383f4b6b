import { asArray, asRecord, asString, parseJsonLeniently } from "../http/json.js";
import { ProviderError, type CallWarning, type CompleteResult, type ToolCall } from "../spec.js";
import { mapOpenAIFinishReason } from "./map-openai-finish-reason.js";
import { convertOpenAIUsage } from "./openai-usage.js";

/**
 * Parses a non-streaming `chat.completion` body into the unary result. A body that is not JSON or
 * has no `choices[0].message` is `malformed-response`. Text and refusal are both returned as text;
 * `reasoning_content`/`reasoning` (compatible servers) as reasoning.
 */
export function parseOpenAIResponse(bodyText: string, warnings: CallWarning[]): CompleteResult {
  const body = asRecord(parseJsonLeniently(bodyText));
  const choice = asRecord(asArray(body?.choices)?.[0]);
  const message = asRecord(choice?.message);
  if (body === undefined || choice === undefined || message === undefined) {
    throw new ProviderError("malformed-response", "The upstream sent a completion the gateway could not read.", {
      cause: bodyText,
    });
  }
  const toolCalls: ToolCall[] = [];
  for (const rawCall of asArray(message.tool_calls) ?? []) {
    const call = asRecord(rawCall);
    const fn = asRecord(call?.function);
    if (call === undefined || fn === undefined) continue;
    const argumentsText = fn.arguments;
    toolCalls.push({
      id: asString(call.id) ?? "",
      name: asString(fn.name) ?? "",
      // Some compatible servers (Ollama's /v1 in old versions) send arguments as an object.
      argumentsJson:
        typeof argumentsText === "string"
          ? argumentsText.trim() === "" ? "{}" : argumentsText
          : JSON.stringify(argumentsText ?? {}),
    });
  }
  const rawFinishReason = asString(choice.finish_reason) ?? "";
  const result: CompleteResult = {
    text: (asString(message.content) ?? "") + (asString(message.refusal) ?? ""),
    reasoning: asString(message.reasoning_content) ?? asString(message.reasoning) ?? "",
    toolCalls,
    finishReason: mapOpenAIFinishReason(rawFinishReason),
    rawFinishReason,
    usage: convertOpenAIUsage(body.usage) ?? {},
    warnings,
  };
  const vendorModel = asString(body.model);
  if (vendorModel !== undefined && vendorModel !== "") result.vendorModel = vendorModel;
  const responseId = asString(body.id);
  if (responseId !== undefined && responseId !== "") result.responseId = responseId;
  return result;
}
