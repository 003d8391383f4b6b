import { asNumber, asRecord } from "../http/json.js";
import type { Usage } from "../spec.js";

/**
 * Reads usage from Ollama's final (`done:true`) object: `prompt_eval_count` is input tokens and
 * `eval_count` output tokens; there is no total, no cache and no separate thinking count. The
 * fields are `omitempty` on the server, so an absent one stays absent here.
 */
export function toOllamaUsage(raw: unknown): Usage {
  const done = asRecord(raw);
  const usage: Usage = {};
  const input = asNumber(done?.prompt_eval_count);
  const output = asNumber(done?.eval_count);
  if (input !== undefined) usage.inputTokens = input;
  if (output !== undefined) usage.outputTokens = output;
  return usage;
}
