import { asArray, asRecord, asString, parseJsonLeniently } from "../http/json.js";
import { ProviderError, type StreamPart, type Usage } from "../spec.js";
import { ollamaErrorMessage, ollamaStreamError, readOllamaErrorText } from "./ollama-error.js";
import { toOllamaUsage } from "./ollama-usage.js";
import { mapOllamaFinishReason } from "./map-ollama-finish-reason.js";
import { withStreamState } from "../http/stream-error-state.js";

/**
 * Turns Ollama `/api/chat` objects into stream parts: the NDJSON lines of a stream, or the single
 * body of a `stream:false` call (one object with `done:true`), so both share every quirk:
 * - `message.thinking` is reasoning and `message.content` text.
 * - Tool calls arrive complete (`arguments` an object, never split) and become one tool-call-delta
 *   each with the whole JSON; ids are the vendor's when newer servers send one, else `call_<n>`.
 * - Only a `done:true` object completes the response; it carries `done_reason` and the counts.
 *   EOF before it is `malformed-response`. An `{"error":…}` line is an in-band error.
 */
export async function* parseOllamaStream(lines: AsyncIterable<string>): AsyncGenerator<StreamPart, void, undefined> {
  let afterContent = false;
  let sentMetadata = false;
  let toolCount = 0;
  const state = (): { usage: Usage; afterContent: boolean } => ({ usage: {}, afterContent });

  try {
    for await (const line of lines) {
      const parsed = parseJsonLeniently(line);
      const errorText = readOllamaErrorText(parsed);
      if (errorText !== undefined) throw ollamaStreamError(errorText, line, state());
      const chunk = asRecord(parsed);
      if (chunk === undefined) {
        throw new ProviderError("malformed-response", ollamaErrorMessage("malformed-response"), { ...state(), cause: { line } });
      }
      if (!sentMetadata) {
        sentMetadata = true;
        const vendorModel = asString(chunk.model);
        yield { type: "metadata", ...(vendorModel !== undefined ? { vendorModel } : {}) };
      }

      const message = asRecord(chunk.message);
      const thinking = asString(message?.thinking) ?? "";
      if (thinking !== "") {
        afterContent = true;
        yield { type: "reasoning-delta", text: thinking };
      }
      const content = asString(message?.content) ?? "";
      if (content !== "") {
        afterContent = true;
        yield { type: "text-delta", text: content };
      }
      for (const item of asArray(message?.tool_calls) ?? []) {
        const toolCall = asRecord(item);
        const fn = asRecord(toolCall?.function);
        const index = toolCount++;
        afterContent = true;
        yield {
          type: "tool-call-delta",
          index,
          id: asString(toolCall?.id) ?? `call_${index}`,
          name: asString(fn?.name) ?? "",
          argumentsDelta: argumentsJson(fn?.arguments),
        };
      }

      if (chunk.done === true) {
        const doneReason = asString(chunk.done_reason);
        yield {
          type: "finish",
          finishReason: mapOllamaFinishReason(doneReason, toolCount > 0),
          rawFinishReason: doneReason ?? "",
          usage: toOllamaUsage(chunk),
        };
        return;
      }
    }
  } catch (error) {
    throw withStreamState(error, state(), ollamaErrorMessage("malformed-response"));
  }
  throw new ProviderError("malformed-response", "The Ollama stream ended without a done:true line.", state());
}

/** Ollama sends an object; a string (from OpenAI-style proxies) is accepted when it holds one. */
function argumentsJson(raw: unknown): string {
  const args = asRecord(raw) ?? (typeof raw === "string" ? asRecord(parseJsonLeniently(raw)) : undefined);
  return JSON.stringify(args ?? {});
}
