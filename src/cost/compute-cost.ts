/**
 * Cost of one attempt from its usage and price, in nano-USD. Unknown is never zero: an unpriced model
 * or a usage without input or output counts gives `undefined`, and the caller counts that gap
 * (`unpricedAttempts`) so a missing price shows up on a dashboard instead of as free traffic.
 */
import type { Usage } from "../providers/spec.js";
import type { ModelPrice } from "./price-table.js";

/** The subset of a price that cost needs (config prices have no `source`). */
export type PriceForCost = Pick<ModelPrice, "inputNanoUsd" | "cachedInputNanoUsd" | "outputNanoUsd" | "cacheWriteInputNanoUsd">;

/**
 * nano-USD for `usage` at `price`. `usage.inputTokens` is the whole prompt (cache reads and writes
 * included, as the adapters normalise it); uncached input = input − cached − cache writes.
 * `outputTokens` includes reasoning tokens.
 */
export function computeCostNanoUsd(usage: Usage | undefined, price: PriceForCost | undefined): number | undefined {
  if (price === undefined || usage === undefined) return undefined;
  if (usage.inputTokens === undefined || usage.outputTokens === undefined) return undefined;
  const cached = usage.cachedInputTokens ?? 0;
  const cacheWrite = usage.cacheWriteInputTokens ?? 0;
  const uncached = Math.max(0, usage.inputTokens - cached - cacheWrite);
  return (
    uncached * price.inputNanoUsd +
    cached * price.cachedInputNanoUsd +
    cacheWrite * (price.cacheWriteInputNanoUsd ?? price.inputNanoUsd) +
    usage.outputTokens * price.outputNanoUsd
  );
}

/** nano-USD → micro-USD for responses, rounded half up. */
export function nanoToMicroUsd(nanoUsd: number): number {
  return Math.round(nanoUsd / 1_000);
}
