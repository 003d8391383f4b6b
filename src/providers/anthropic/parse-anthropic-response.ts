import { asArray, asRecord, asString, parseJsonLeniently } from "../http/json.js";
import { ProviderError, type CallWarning, type CompleteResult, type ToolCall } from "../spec.js";
import { anthropicErrorMessage, anthropicStreamError } from "./anthropic-error.js";
import { mergeAnthropicUsage, toAnthropicUsage } from "./anthropic-usage.js";
import { mapAnthropicFinishReason } from "./map-anthropic-finish-reason.js";

/**
 * Reads a non-streaming Messages API response (`{type:"message", content:[blocks], stop_reason,
 * usage}`) into a `CompleteResult`. `tool_use.input` is an object and becomes JSON text; text and
 * thinking blocks are concatenated in order. A body that is not a message throws
 * `ProviderError("malformed-response")` with the body in `cause`.
 */
export function parseAnthropicResponse(bodyText: string, warnings: CallWarning[]): CompleteResult {
  const message = asRecord(parseJsonLeniently(bodyText));
  if (asString(message?.type) === "error") {
    // An error envelope behind a 2xx status (seen from proxies): classify it like an error event.
    throw anthropicStreamError(bodyText, { usage: {}, afterContent: false });
  }
  const content = asArray(message?.content);
  if (message === undefined || content === undefined) {
    throw new ProviderError("malformed-response", anthropicErrorMessage("malformed-response"), { cause: bodyText });
  }
  let text = "";
  let reasoning = "";
  const toolCalls: ToolCall[] = [];
  for (const item of content) {
    const block = asRecord(item);
    switch (asString(block?.type)) {
      case "text":
        text += asString(block?.text) ?? "";
        break;
      case "thinking":
        reasoning += asString(block?.thinking) ?? "";
        break;
      case "tool_use":
        toolCalls.push({
          id: asString(block?.id) ?? `call_${toolCalls.length}`,
          name: asString(block?.name) ?? "",
          argumentsJson: JSON.stringify(asRecord(block?.input) ?? {}),
        });
        break;
      default:
        break;
    }
  }
  const stopReason = asString(message.stop_reason);
  const vendorModel = asString(message.model);
  const responseId = asString(message.id);
  return {
    text,
    reasoning,
    toolCalls,
    finishReason: mapAnthropicFinishReason(stopReason),
    rawFinishReason: stopReason ?? "",
    usage: toAnthropicUsage(mergeAnthropicUsage({}, message.usage)),
    ...(vendorModel !== undefined ? { vendorModel } : {}),
    ...(responseId !== undefined ? { responseId } : {}),
    warnings,
  };
}
