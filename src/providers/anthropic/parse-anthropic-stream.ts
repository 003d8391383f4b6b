import { asNumber, asRecord, asString, parseJsonLeniently } from "../http/json.js";
import type { SseEvent } from "../http/sse.js";
import { ProviderError, type StreamPart, type Usage } from "../spec.js";
import { anthropicErrorMessage, anthropicStreamError } from "./anthropic-error.js";
import { mergeAnthropicUsage, toAnthropicUsage, type AnthropicUsageFields } from "./anthropic-usage.js";
import { mapAnthropicFinishReason } from "./map-anthropic-finish-reason.js";
import { withStreamState } from "../http/stream-error-state.js";

interface OpenBlock {
  kind: "text" | "thinking" | "tool" | "ignored";
  /** Tool blocks: the ordinal of the call among this response's tool calls. */
  toolIndex?: number;
  /** Tool blocks: whether any non-empty `partial_json` was passed on. */
  sentArguments?: boolean;
  /** Tool blocks: `content_block_start.input` when it was not empty (used if no fragments follow). */
  initialInput?: string;
}

/**
 * Turns an Anthropic Messages SSE stream into stream parts. What it relies on and why:
 * - Dispatch is on the `event:` name (the SDK does the same), falling back to the JSON `type`.
 *   JSON is parsed, never string-compared: real payloads are padded with spaces before the last `}`.
 * - `ping` events come anywhere, several times, and are ignored; unknown events are ignored too.
 * - Tool arguments stream as `input_json_delta.partial_json` fragments. The first part for a call
 *   carries its id and name; empty fragments (the first one usually is) are skipped, and a call
 *   whose fragments were all empty gets `{}`, so the assembled arguments are always JSON.
 * - Usage: `message_start` gives the first counts and `message_delta.usage` cumulative totals; the
 *   last value of each field wins.
 * - Only `message_stop` completes a stream. EOF without it, an `event: error`, or broken JSON
 *   throws `ProviderError`, with the usage seen so far and `afterContent` when content was sent.
 */
export async function* parseAnthropicStream(events: AsyncIterable<SseEvent>): AsyncGenerator<StreamPart, void, undefined> {
  let usageFields: AnthropicUsageFields = {};
  let stopReason: string | undefined;
  let afterContent = false;
  let toolCount = 0;
  const blocks = new Map<number, OpenBlock>();
  const state = () => ({ usage: toAnthropicUsage(usageFields), afterContent });

  try {
    for await (const event of events) {
      const data = asRecord(parseJsonLeniently(event.data));
      const type = event.event ?? asString(data?.type);
      if (type === "error") throw anthropicStreamError(event.data, state());
      if (data === undefined) {
        throw new ProviderError("malformed-response", anthropicErrorMessage("malformed-response"), {
          ...state(),
          cause: { event: type, data: event.data },
        });
      }

      switch (type) {
        case "message_start": {
          const message = asRecord(data.message);
          usageFields = mergeAnthropicUsage(usageFields, message?.usage);
          const vendorModel = asString(message?.model);
          const responseId = asString(message?.id);
          yield {
            type: "metadata",
            ...(vendorModel !== undefined ? { vendorModel } : {}),
            ...(responseId !== undefined ? { responseId } : {}),
          };
          break;
        }
        case "content_block_start": {
          const index = asNumber(data.index) ?? -1;
          const block = asRecord(data.content_block);
          const blockType = asString(block?.type);
          if (blockType === "text") {
            blocks.set(index, { kind: "text" });
            const text = asString(block?.text) ?? "";
            if (text !== "") {
              afterContent = true;
              yield { type: "text-delta", text };
            }
          } else if (blockType === "thinking") {
            blocks.set(index, { kind: "thinking" });
            const thinking = asString(block?.thinking) ?? "";
            if (thinking !== "") {
              afterContent = true;
              yield { type: "reasoning-delta", text: thinking };
            }
          } else if (blockType === "tool_use") {
            const toolIndex = toolCount++;
            const input = asRecord(block?.input);
            blocks.set(index, {
              kind: "tool",
              toolIndex,
              sentArguments: false,
              initialInput: input !== undefined && Object.keys(input).length > 0 ? JSON.stringify(input) : undefined,
            });
            afterContent = true;
            yield {
              type: "tool-call-delta",
              index: toolIndex,
              id: asString(block?.id) ?? `call_${toolIndex}`,
              name: asString(block?.name) ?? "",
              argumentsDelta: "",
            };
          } else {
            // redacted_thinking, server_tool_use, web_search_tool_result, …: nothing a client can use.
            blocks.set(index, { kind: "ignored" });
          }
          break;
        }
        case "content_block_delta": {
          const block = blocks.get(asNumber(data.index) ?? -1);
          const delta = asRecord(data.delta);
          const deltaType = asString(delta?.type);
          if (deltaType === "text_delta" && block?.kind !== "ignored") {
            const text = asString(delta?.text) ?? "";
            if (text !== "") {
              afterContent = true;
              yield { type: "text-delta", text };
            }
          } else if (deltaType === "thinking_delta") {
            const text = asString(delta?.thinking) ?? "";
            if (text !== "") {
              afterContent = true;
              yield { type: "reasoning-delta", text };
            }
          } else if (deltaType === "input_json_delta" && block?.kind === "tool" && block.toolIndex !== undefined) {
            const fragment = asString(delta?.partial_json) ?? "";
            if (fragment !== "") {
              block.sentArguments = true;
              yield { type: "tool-call-delta", index: block.toolIndex, argumentsDelta: fragment };
            }
          }
          // signature_delta and citations_delta carry nothing modelgate forwards.
          break;
        }
        case "content_block_stop": {
          const index = asNumber(data.index) ?? -1;
          const block = blocks.get(index);
          if (block?.kind === "tool" && block.toolIndex !== undefined && block.sentArguments !== true) {
            yield { type: "tool-call-delta", index: block.toolIndex, argumentsDelta: block.initialInput ?? "{}" };
          }
          blocks.delete(index);
          break;
        }
        case "message_delta": {
          stopReason = asString(asRecord(data.delta)?.stop_reason) ?? stopReason;
          usageFields = mergeAnthropicUsage(usageFields, data.usage);
          break;
        }
        case "message_stop": {
          yield {
            type: "finish",
            finishReason: mapAnthropicFinishReason(stopReason),
            rawFinishReason: stopReason ?? "",
            usage: toAnthropicUsage(usageFields),
          };
          return;
        }
        default:
          // `ping` and event types added after this adapter was written.
          break;
      }
    }
  } catch (error) {
    throw withStreamState(error, state(), anthropicErrorMessage("malformed-response"));
  }
  throw new ProviderError("malformed-response", "The Anthropic stream ended without message_stop.", state());
}
