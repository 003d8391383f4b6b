import { describe, expect, it } from "vitest";
import { computeCostNanoUsd, nanoToMicroUsd } from "./compute-cost.js";
import { lookupPrice, PRICE_TABLE } from "./price-table.js";

describe("computeCostNanoUsd", () => {
  const price = { inputNanoUsd: 2_000, cachedInputNanoUsd: 500, outputNanoUsd: 8_000 };

  it("prices input and output tokens", () => {
    expect(computeCostNanoUsd({ inputTokens: 1_000, outputTokens: 100 }, price)).toBe(2_800_000);
  });

  it("prices cached input at the cached rate and only the rest at the full rate", () => {
    expect(computeCostNanoUsd({ inputTokens: 1_000, cachedInputTokens: 800, outputTokens: 0 }, price)).toBe(
      200 * 2_000 + 800 * 500,
    );
  });

  it("prices cache writes at their own rate when the price has one", () => {
    const anthropic = lookupPrice("claude-sonnet-4-5");
    expect(computeCostNanoUsd({ inputTokens: 1_100, cacheWriteInputTokens: 1_000, outputTokens: 0 }, anthropic)).toBe(
      100 * 3_000 + 1_000 * 3_750,
    );
  });

  it("returns undefined for an unpriced model, never zero", () => {
    expect(computeCostNanoUsd({ inputTokens: 10, outputTokens: 10 }, undefined)).toBeUndefined();
  });

  it("returns undefined when the usage is unknown", () => {
    expect(computeCostNanoUsd({ inputTokens: 10 }, price)).toBeUndefined();
    expect(computeCostNanoUsd(undefined, price)).toBeUndefined();
  });

  it("rounds nano-USD to micro-USD", () => {
    expect(nanoToMicroUsd(2_800_499)).toBe(2_800);
    expect(nanoToMicroUsd(2_800_500)).toBe(2_801);
  });
});

describe("lookupPrice", () => {
  it("knows every listed model with an as-of date", () => {
    for (const name of ["gpt-4.1", "gpt-4.1-mini", "gpt-4.1-nano", "gpt-4o", "gpt-4o-mini", "o4-mini", "claude-opus-4-1",
      "claude-sonnet-4-5", "claude-haiku-4-5", "claude-3-5-haiku", "gemini-2.5-pro", "gemini-2.5-flash", "gemini-2.5-flash-lite"]) {
      expect(PRICE_TABLE[name]?.asOf).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    }
  });

  it("matches dated snapshots to their base model", () => {
    expect(lookupPrice("gpt-4.1-mini-2025-04-14")).toBe(PRICE_TABLE["gpt-4.1-mini"]);
    expect(lookupPrice("claude-sonnet-4-5-20250929")).toBe(PRICE_TABLE["claude-sonnet-4-5"]);
  });

  it("does not confuse a model with a longer sibling", () => {
    expect(lookupPrice("gpt-4.1-mini")).toBe(PRICE_TABLE["gpt-4.1-mini"]);
    expect(lookupPrice("gpt-4.1-turbo")).toBeUndefined();
  });

  it("leaves local models unpriced", () => {
    expect(lookupPrice("llama3.2")).toBeUndefined();
  });
});
