/**
 * Adds usages field by field. A field is present in the sum only when every usage has it: adding a
 * known count to an unknown one gives an unknown, never an undercount.
 */
import type { Usage } from "../providers/spec.js";

const fields = ["inputTokens", "cachedInputTokens", "cacheWriteInputTokens", "outputTokens", "reasoningTokens"] as const;

export function sumUsage(usages: readonly Usage[]): Usage | undefined {
  if (usages.length === 0) return undefined;
  const total: Usage = {};
  for (const field of fields) {
    let sum = 0;
    let known = true;
    for (const usage of usages) {
      const value = usage[field];
      if (value === undefined) {
        known = false;
        break;
      }
      sum += value;
    }
    if (known) total[field] = sum;
  }
  return total;
}
