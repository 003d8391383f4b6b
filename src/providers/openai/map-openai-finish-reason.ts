import type { FinishReason } from "../spec.js";

/**
 * Maps OpenAI's `finish_reason` to ours. `function_call` is the deprecated name for tool calls.
 * Anything unknown (a new value, or an OpenAI-compatible server's own: vLLM's "abort", Ollama's
 * empty string) is `other`; the raw value travels beside it so nothing is lost.
 */
export function mapOpenAIFinishReason(raw: string): FinishReason {
  switch (raw) {
    case "stop":
      return "stop";
    case "length":
      return "length";
    case "tool_calls":
    case "function_call":
      return "tool-calls";
    case "content_filter":
      return "content-filter";
    default:
      return "other";
  }
}
