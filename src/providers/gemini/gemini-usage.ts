import { asNumber, asRecord } from "../http/json.js";
import type { Usage } from "../spec.js";

/**
 * Converts Gemini's `usageMetadata`. In streams every chunk repeats it with running values and the
 * last chunk's can differ (even `promptTokenCount` changes), so callers pass the last one seen.
 * - `inputTokens` = `promptTokenCount` + `toolUsePromptTokenCount` (tool-use prompt tokens are
 *   billed as input but counted apart); it includes `cachedContentTokenCount`, also given alone.
 * - `thoughtsTokenCount` is NOT part of `candidatesTokenCount` (total = prompt + candidates +
 *   thoughts), so `outputTokens` = candidates + thoughts and `reasoningTokens` = thoughts.
 * Absent counts stay absent: Gemini omits fields it has not computed yet.
 */
export function toGeminiUsage(raw: unknown): Usage {
  const metadata = asRecord(raw);
  const usage: Usage = {};
  if (metadata === undefined) return usage;
  const prompt = asNumber(metadata.promptTokenCount);
  const toolUsePrompt = asNumber(metadata.toolUsePromptTokenCount);
  const cached = asNumber(metadata.cachedContentTokenCount);
  const candidates = asNumber(metadata.candidatesTokenCount);
  const thoughts = asNumber(metadata.thoughtsTokenCount);
  if (prompt !== undefined || toolUsePrompt !== undefined) usage.inputTokens = (prompt ?? 0) + (toolUsePrompt ?? 0);
  if (cached !== undefined) usage.cachedInputTokens = cached;
  if (candidates !== undefined || thoughts !== undefined) usage.outputTokens = (candidates ?? 0) + (thoughts ?? 0);
  if (thoughts !== undefined) usage.reasoningTokens = thoughts;
  return usage;
}
