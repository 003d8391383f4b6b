import type { FinishReason } from "../spec.js";

/**
 * Maps Ollama's `done_reason`. Ollama has no tool-call reason: a response with `tool_calls` ends
 * with `stop`, so `stop` plus tool calls is `tool-calls`. `length` covers both `num_predict` and
 * the context limit. `load`/`unload` (model management replies) and anything unknown are `other`.
 */
export function mapOllamaFinishReason(doneReason: string | undefined, hasToolCalls: boolean): FinishReason {
  switch (doneReason) {
    case "stop":
      return hasToolCalls ? "tool-calls" : "stop";
    case "length":
      return "length";
    default:
      return "other";
  }
}
