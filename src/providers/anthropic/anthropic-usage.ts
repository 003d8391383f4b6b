import { asNumber, asRecord } from "../http/json.js";
import type { Usage } from "../spec.js";

/** The token fields Anthropic reports, as last seen; each absent until the vendor sends it. */
export interface AnthropicUsageFields {
  inputTokens?: number;
  cacheReadTokens?: number;
  cacheCreationTokens?: number;
  outputTokens?: number;
}

/**
 * Overlays the fields present in one Anthropic `usage` object on what was seen before. Streams send
 * `message_start.message.usage` first and then cumulative totals in `message_delta.usage`, which may
 * revise `input_tokens` and the cache fields too, so the last value of each field wins.
 */
export function mergeAnthropicUsage(previous: AnthropicUsageFields, raw: unknown): AnthropicUsageFields {
  const usage = asRecord(raw);
  if (usage === undefined) return previous;
  return {
    inputTokens: asNumber(usage.input_tokens) ?? previous.inputTokens,
    cacheReadTokens: asNumber(usage.cache_read_input_tokens) ?? previous.cacheReadTokens,
    cacheCreationTokens: asNumber(usage.cache_creation_input_tokens) ?? previous.cacheCreationTokens,
    outputTokens: asNumber(usage.output_tokens) ?? previous.outputTokens,
  };
}

/**
 * Converts Anthropic's fields to modelgate's `Usage`. Anthropic counts cache reads and cache writes
 * apart from `input_tokens`; modelgate's `inputTokens` is the whole prompt (as OpenAI and Gemini
 * report it), so the three are added, and the cache parts are also given on their own. Absent
 * fields stay absent.
 */
export function toAnthropicUsage(fields: AnthropicUsageFields): Usage {
  const usage: Usage = {};
  if (fields.inputTokens !== undefined) {
    usage.inputTokens = fields.inputTokens + (fields.cacheReadTokens ?? 0) + (fields.cacheCreationTokens ?? 0);
  }
  if (fields.cacheReadTokens !== undefined) usage.cachedInputTokens = fields.cacheReadTokens;
  if (fields.cacheCreationTokens !== undefined) usage.cacheWriteInputTokens = fields.cacheCreationTokens;
  if (fields.outputTokens !== undefined) usage.outputTokens = fields.outputTokens;
  return usage;
}
