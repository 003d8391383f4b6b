import { markAfterContent } from "../http/network-error.js";
import { asArray, asNumber, asRecord, asString, parseJsonLeniently } from "../http/json.js";
import type { SseEvent } from "../http/sse.js";
import { ProviderError, type StreamPart, type Usage } from "../spec.js";
import { mapOpenAIFinishReason } from "./map-openai-finish-reason.js";
import { createOpenAIError } from "./openai-error.js";
import { convertOpenAIUsage } from "./openai-usage.js";

/**
 * Turns Chat Completions SSE events into stream parts: one `metadata` (at the first chunk with an id
 * or model), text, reasoning and tool-call deltas, then one `finish` after `data: [DONE]`. The finish
 * waits for `[DONE]` because the usage chunk (`choices: []`) comes after the `finish_reason` chunk.
 * Vendor quirks handled here: Azure's leading chunk with `choices: []`, empty ids and
 * `prompt_filter_results`; `"usage": null` on every chunk; compatible servers' `reasoning_content`
 * (vLLM, DeepSeek) or `reasoning` (Groq, Ollama) deltas; a tool-call fragment without `index` (some
 * servers send each call whole), which takes its position in the array.
 * Errors: EOF without `[DONE]` or a chunk that is not JSON is `malformed-response`; a `data:
 * {"error": ...}` event is mapped by `openai-error.ts`. All carry `afterContent`.
 */
export async function* parseOpenAIStream(events: AsyncIterable<SseEvent>): AsyncGenerator<StreamPart, void, undefined> {
  let afterContent = false;
  let sentMetadata = false;
  let rawFinishReason: string | undefined;
  let usage: Usage | undefined;
  let done = false;

  try {
    for await (const event of events) {
      const data = event.data.trim();
      if (data === "[DONE]") {
        done = true;
        break;
      }
      if (data === "") continue;
      const chunk = asRecord(parseJsonLeniently(data));
      if (chunk === undefined) {
        throw new ProviderError("malformed-response", "The upstream sent a stream event that is not a JSON object.", {
          cause: data,
          afterContent,
          usage,
        });
      }
      if (chunk.error !== undefined && chunk.error !== null) {
        throw createOpenAIError({ bodyText: data, afterContent, usage });
      }
      if (!sentMetadata) {
        const responseId = asString(chunk.id);
        const vendorModel = asString(chunk.model);
        if ((responseId ?? "") !== "" || (vendorModel ?? "") !== "") {
          sentMetadata = true;
          const metadata: StreamPart = { type: "metadata" };
          if (vendorModel !== undefined && vendorModel !== "") metadata.vendorModel = vendorModel;
          if (responseId !== undefined && responseId !== "") metadata.responseId = responseId;
          yield metadata;
        }
      }
      usage = convertOpenAIUsage(chunk.usage) ?? usage;
      const choice = asRecord(asArray(chunk.choices)?.[0]);
      if (choice === undefined) continue;
      const finish = asString(choice.finish_reason);
      if (finish !== undefined) rawFinishReason = finish;
      const delta = asRecord(choice.delta);
      if (delta === undefined) continue;
      const reasoning = asString(delta.reasoning_content) ?? asString(delta.reasoning);
      if (reasoning !== undefined && reasoning !== "") {
        afterContent = true;
        yield { type: "reasoning-delta", text: reasoning };
      }
      const text = asString(delta.content);
      if (text !== undefined && text !== "") {
        afterContent = true;
        yield { type: "text-delta", text };
      }
      const refusal = asString(delta.refusal);
      if (refusal !== undefined && refusal !== "") {
        afterContent = true;
        yield { type: "text-delta", text: refusal };
      }
      const toolCalls = asArray(delta.tool_calls) ?? [];
      for (const [position, rawCall] of toolCalls.entries()) {
        const call = asRecord(rawCall);
        if (call === undefined) continue;
        const fn = asRecord(call.function);
        const part: Extract<StreamPart, { type: "tool-call-delta" }> = {
          type: "tool-call-delta",
          index: asNumber(call.index) ?? position,
          argumentsDelta: asString(fn?.arguments) ?? "",
        };
        const id = asString(call.id);
        if (id !== undefined && id !== "") part.id = id;
        const name = asString(fn?.name);
        if (name !== undefined && name !== "") part.name = name;
        afterContent = true;
        yield part;
      }
    }
  } catch (error) {
    if (error instanceof ProviderError) throw markAfterContent(error, afterContent);
    throw error;
  }

  if (!done) {
    throw new ProviderError("malformed-response", "The upstream stream ended without its [DONE] terminator.", {
      afterContent,
      usage,
    });
  }
  // A finished stream whose server never sent finish_reason (seen on some compatible servers) still
  // delivered its whole answer: report "other" with an empty raw value rather than failing it.
  const raw = rawFinishReason ?? "";
  yield { type: "finish", finishReason: mapOpenAIFinishReason(raw), rawFinishReason: raw, usage: usage ?? {} };
}
