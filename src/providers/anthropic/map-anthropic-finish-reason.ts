import type { FinishReason } from "../spec.js";

/**
 * Maps Anthropic's `stop_reason` to modelgate's finish reason. `stop_sequence` is a normal stop (the
 * matched string is not part of the text); `refusal` means the model declined for safety reasons, so
 * it is a content filter; `pause_turn` (a server tool paused a long turn) and
 * `model_context_window_exceeded` have no equivalent and become `other`/`length`. The raw value is
 * always kept beside the normalised one.
 */
export function mapAnthropicFinishReason(stopReason: string | undefined): FinishReason {
  switch (stopReason) {
    case "end_turn":
    case "stop_sequence":
      return "stop";
    case "max_tokens":
    case "model_context_window_exceeded":
      return "length";
    case "tool_use":
      return "tool-calls";
    case "refusal":
      return "content-filter";
    default:
      return "other";
  }
}
