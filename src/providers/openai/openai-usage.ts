import { asNumber, asRecord } from "../http/json.js";
import type { Usage } from "../spec.js";

/**
 * Converts an OpenAI `usage` object. `prompt_tokens` already includes the cached ones, as our
 * `inputTokens` does. Every field is set only when the vendor sent a number: a missing count stays
 * absent, while a reported 0 is kept as 0. OpenAI reports no cache writes, so that field is never set.
 * Returns undefined when `raw` is not a usage object at all (e.g. `"usage": null` in stream chunks).
 */
export function convertOpenAIUsage(raw: unknown): Usage | undefined {
  const usage = asRecord(raw);
  if (usage === undefined) return undefined;
  const result: Usage = {};
  const input = asNumber(usage.prompt_tokens);
  if (input !== undefined) result.inputTokens = input;
  const output = asNumber(usage.completion_tokens);
  if (output !== undefined) result.outputTokens = output;
  const cached = asNumber(asRecord(usage.prompt_tokens_details)?.cached_tokens);
  if (cached !== undefined) result.cachedInputTokens = cached;
  const reasoning = asNumber(asRecord(usage.completion_tokens_details)?.reasoning_tokens);
  if (reasoning !== undefined) result.reasoningTokens = reasoning;
  return result;
}
