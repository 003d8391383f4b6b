import { asArray, asRecord, asString, parseJsonLeniently } from "../http/json.js";
import { ProviderError, type StreamPart, type Usage } from "../spec.js";
import { geminiErrorMessage, geminiStreamError, readGeminiStatus } from "./gemini-error.js";
import { createPartialFunctionCall, type PartialFunctionCall } from "./gemini-partial-arguments.js";
import { toGeminiUsage } from "./gemini-usage.js";
import { mapGeminiFinishReason } from "./map-gemini-finish-reason.js";
import { withStreamState } from "../http/stream-error-state.js";

/**
 * Turns Gemini `GenerateContentResponse` JSON texts into stream parts: the `data:` payloads of an
 * `alt=sse` stream, or the single body of a non-streaming `generateContent` (one response that
 * already has its `finishReason`), so both paths share every quirk:
 * - Each chunk holds only its new parts. `thought: true` text is reasoning. A `functionCall` arrives
 *   whole (args as an object) and becomes one tool-call-delta with the whole JSON; Gemini gives no
 *   call id, so ids are `call_<n>`. Vertex's streamed arguments (`willContinue`/`partialArgs`) are
 *   assembled first and emitted once complete.
 * - Gemini sends no terminator and no `[DONE]`: a stream is complete only if some chunk carried a
 *   `finishReason`; EOF before one is `malformed-response`. Finish is emitted at EOF, since chunks
 *   after the finishing one may still revise usage.
 * - Usage comes from the LAST chunk's `usageMetadata` (values are running and can change).
 * - A prompt blocked before generation has no candidates and `promptFeedback.blockReason`: that is
 *   `ProviderError("content-filtered")`. A bare `{"error":…}` chunk is an in-band error.
 */
export async function* parseGeminiStream(payloads: AsyncIterable<string>): AsyncGenerator<StreamPart, void, undefined> {
  let usageMetadata: unknown;
  let finishReason: string | undefined;
  let afterContent = false;
  let sentMetadata = false;
  let toolCount = 0;
  let partial: PartialFunctionCall | undefined;
  const state = () => ({ usage: toGeminiUsage(usageMetadata), afterContent });

  function* flushPartial(): Generator<StreamPart> {
    if (partial === undefined) return;
    const index = toolCount++;
    yield { type: "tool-call-delta", index, id: `call_${index}`, name: partial.name, argumentsDelta: partial.argumentsJson() };
    partial = undefined;
  }

  try {
    for await (const payload of payloads) {
      const parsed = parseJsonLeniently(payload);
      const status = readGeminiStatus(parsed);
      if (status !== undefined) throw geminiStreamError(status, payload, state());
      const chunk = asRecord(parsed);
      if (chunk === undefined) {
        throw new ProviderError("malformed-response", geminiErrorMessage("malformed-response"), {
          ...state(),
          cause: { data: payload },
        });
      }
      if (chunk.usageMetadata !== undefined) usageMetadata = chunk.usageMetadata;

      if (!sentMetadata) {
        sentMetadata = true;
        const vendorModel = asString(chunk.modelVersion);
        const responseId = asString(chunk.responseId);
        yield {
          type: "metadata",
          ...(vendorModel !== undefined ? { vendorModel } : {}),
          ...(responseId !== undefined ? { responseId } : {}),
        };
      }

      const candidate = asRecord(asArray(chunk.candidates)?.[0]);
      if (candidate === undefined) {
        const blockReason = asString(asRecord(chunk.promptFeedback)?.blockReason);
        if (blockReason !== undefined) {
          throw new ProviderError("content-filtered", geminiErrorMessage("content-filtered"), {
            ...state(),
            vendorCode: blockReason,
            cause: { data: payload },
          });
        }
        continue;
      }

      for (const item of asArray(asRecord(candidate.content)?.parts) ?? []) {
        const part = asRecord(item);
        if (part === undefined) continue;
        const functionCall = asRecord(part.functionCall);
        if (functionCall !== undefined) {
          const name = asString(functionCall.name);
          const streamed = functionCall.willContinue === true || functionCall.partialArgs !== undefined;
          if (name !== undefined && streamed) {
            yield* flushPartial();
            partial = createPartialFunctionCall(name);
            partial.apply(functionCall.partialArgs);
          } else if (name === undefined && partial !== undefined && functionCall.partialArgs !== undefined) {
            partial.apply(functionCall.partialArgs);
          } else if (name === undefined) {
            // `functionCall: {}` closes a call whose arguments were streamed.
            yield* flushPartial();
          } else {
            yield* flushPartial();
            const index = toolCount++;
            yield {
              type: "tool-call-delta",
              index,
              id: asString(functionCall.id) ?? `call_${index}`,
              name,
              argumentsDelta: JSON.stringify(asRecord(functionCall.args) ?? {}),
            };
          }
          afterContent = true;
          continue;
        }
        const text = asString(part.text);
        if (text !== undefined && text !== "") {
          afterContent = true;
          yield part.thought === true ? { type: "reasoning-delta", text } : { type: "text-delta", text };
        }
      }
      finishReason = asString(candidate.finishReason) ?? finishReason;
    }
  } catch (error) {
    throw withStreamState(error, state(), geminiErrorMessage("malformed-response"));
  }

  yield* flushPartial();
  if (finishReason === undefined) {
    throw new ProviderError("malformed-response", "The Gemini stream ended before any chunk carried a finishReason.", state());
  }
  yield {
    type: "finish",
    finishReason: mapGeminiFinishReason(finishReason, toolCount > 0),
    rawFinishReason: finishReason,
    usage: toGeminiUsage(usageMetadata),
  };
}
