/**
 * The engine's result and stream events to OpenAI's `chat.completion` object and
 * `chat.completion.chunk` events, in the shapes openai-node's types and its stream helper expect
 * (`ChatCompletionStream` throws without a role in the first delta or a finish reason in the last).
 * Chunk order: role, (content | tool_calls)*, finish_reason, usage? (only with
 * `stream_options.include_usage`; every other chunk then carries `usage: null`).
 */
import type { GatewayEvent, GatewayResult } from "../../gateway/types.js";
import type { FinishReason, ToolCall, Usage } from "../../providers/spec.js";

export type OpenAIFinishReason = "stop" | "length" | "tool_calls" | "content_filter";

/** `other` (a vendor reason with no OpenAI twin) has no OpenAI value; `stop` is the nearest, and the raw reason is logged. */
const finishReasons: Record<FinishReason, OpenAIFinishReason> = {
  stop: "stop",
  length: "length",
  "tool-calls": "tool_calls",
  "content-filter": "content_filter",
  other: "stop",
};

/** What every chunk and the completion share: one id and one creation time per call. */
export interface CompletionIdentity {
  id: string;
  /** Unix seconds. */
  created: number;
  /** The model the caller asked for (an alias or a deployment); the serving deployment is a header. */
  model: string;
}

/** OpenAI's usage object. Unknown counts are left out, never sent as zero. */
export interface OpenAIUsage {
  prompt_tokens?: number;
  completion_tokens?: number;
  total_tokens?: number;
  prompt_tokens_details?: { cached_tokens: number };
  completion_tokens_details?: { reasoning_tokens: number };
}

export function toOpenAIUsage(usage: Usage): OpenAIUsage {
  const converted: OpenAIUsage = {};
  if (usage.inputTokens !== undefined) converted.prompt_tokens = usage.inputTokens;
  if (usage.outputTokens !== undefined) converted.completion_tokens = usage.outputTokens;
  if (usage.inputTokens !== undefined && usage.outputTokens !== undefined) converted.total_tokens = usage.inputTokens + usage.outputTokens;
  if (usage.cachedInputTokens !== undefined) converted.prompt_tokens_details = { cached_tokens: usage.cachedInputTokens };
  if (usage.reasoningTokens !== undefined) converted.completion_tokens_details = { reasoning_tokens: usage.reasoningTokens };
  return converted;
}

function toOpenAIToolCall(call: ToolCall) {
  return { id: call.id, type: "function" as const, function: { name: call.name, arguments: call.argumentsJson } };
}

/** A unary answer: one choice. Reasoning text has no place in OpenAI's message and is not sent. */
export function toChatCompletion(result: GatewayResult, identity: CompletionIdentity) {
  const message: Record<string, unknown> = {
    role: "assistant",
    content: result.text === "" && result.toolCalls.length > 0 ? null : result.text,
    refusal: null,
  };
  if (result.toolCalls.length > 0) message.tool_calls = result.toolCalls.map(toOpenAIToolCall);
  return {
    id: identity.id,
    object: "chat.completion" as const,
    created: identity.created,
    model: identity.model,
    choices: [{ index: 0, message, logprobs: null, finish_reason: finishReasons[result.finishReason] }],
    usage: toOpenAIUsage(result.usage),
  };
}

/**
 * Turns stream events into chunk objects, one call at a time (stateful: it remembers which tool calls
 * it has introduced). `fallback` events have no OpenAI form and yield nothing.
 */
export function createChunkEncoder(identity: CompletionIdentity, includeUsage: boolean) {
  const introducedToolCalls = new Set<number>();
  const chunk = (choices: unknown[], usage?: OpenAIUsage) => ({
    id: identity.id,
    object: "chat.completion.chunk" as const,
    created: identity.created,
    model: identity.model,
    choices,
    ...(includeUsage ? { usage: usage ?? null } : {}),
  });
  const choice = (delta: Record<string, unknown>, finishReason: OpenAIFinishReason | null = null) => ({
    index: 0,
    delta,
    logprobs: null,
    finish_reason: finishReason,
  });

  return {
    /** The chunks for one event, in order (none, one, or finish plus usage). */
    encode(event: GatewayEvent): object[] {
      switch (event.type) {
        case "start":
          return [chunk([choice({ role: "assistant", content: "", refusal: null })])];
        case "text-delta":
          return event.text === "" ? [] : [chunk([choice({ content: event.text })])];
        case "tool-call-delta": {
          const fragment: Record<string, unknown> = { index: event.index };
          if (!introducedToolCalls.has(event.index)) {
            // The first fragment of a call names it; the SDK's helper requires id, type and name there.
            introducedToolCalls.add(event.index);
            fragment.id = event.id ?? `call_${identity.id}_${event.index}`;
            fragment.type = "function";
            fragment.function = { name: event.name ?? "", arguments: event.argumentsDelta };
          } else {
            fragment.function = { arguments: event.argumentsDelta };
          }
          return [chunk([choice({ tool_calls: [fragment] })])];
        }
        case "finish": {
          const chunks: object[] = [chunk([choice({}, finishReasons[event.finishReason])])];
          if (includeUsage) chunks.push(chunk([], toOpenAIUsage(event.usage)));
          return chunks;
        }
        case "reasoning-delta":
        case "fallback":
          return [];
      }
    },
  };
}
