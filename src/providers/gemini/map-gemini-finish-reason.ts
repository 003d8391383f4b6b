import type { FinishReason } from "../spec.js";

const contentFilterReasons = new Set([
  "SAFETY",
  "RECITATION",
  "BLOCKLIST",
  "PROHIBITED_CONTENT",
  "SPII",
  "IMAGE_SAFETY",
  "IMAGE_PROHIBITED_CONTENT",
  "IMAGE_RECITATION",
]);

/**
 * Maps a Gemini `finishReason`. Gemini has no tool-use reason: a response that called functions
 * still ends with `STOP` (plus `finishMessage: "Model generated function call(s)."`), so `STOP`
 * with function calls is `tool-calls`. The safety, recitation and blocklist family is a content
 * filter; `MAX_TOKENS` is `length`; everything else (`OTHER`, `LANGUAGE`, `MALFORMED_FUNCTION_CALL`,
 * `NO_IMAGE`, …) is `other`. The raw value is kept beside it.
 */
export function mapGeminiFinishReason(finishReason: string, hasToolCalls: boolean): FinishReason {
  if (finishReason === "STOP") return hasToolCalls ? "tool-calls" : "stop";
  if (finishReason === "MAX_TOKENS") return "length";
  if (contentFilterReasons.has(finishReason)) return "content-filter";
  return "other";
}
