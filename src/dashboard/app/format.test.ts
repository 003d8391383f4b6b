import { describe, expect, it } from "vitest";
import { formatAgo, formatMicroUsd, formatMs, formatPercent, formatRate, formatReason, healthTone, UNKNOWN } from "./format.js";

describe("dashboard formatting", () => {
  it("shows an unknown value as a dash, never as zero", () => {
    expect(formatPercent(undefined)).toBe(UNKNOWN);
    expect(formatMs(undefined)).toBe(UNKNOWN);
    expect(formatRate(undefined)).toBe(UNKNOWN);
    expect(formatMicroUsd(undefined)).toBe(UNKNOWN);
  });

  it("formats shares, durations and rates with units", () => {
    expect(formatPercent(0.0123)).toBe("1.2%");
    expect(formatPercent(0.5)).toBe("50%");
    expect(formatMs(12.4)).toBe("12 ms");
    expect(formatMs(1530)).toBe("1.53 s");
    expect(formatRate(0.4)).toBe("0.4");
    expect(formatRate(1234)).toBe("1.2k");
  });

  it("formats a per-request cost in micro-USD as dollars with significant digits", () => {
    expect(formatMicroUsd(237)).toBe("$0.000237");
    expect(formatMicroUsd(12_345)).toBe("$0.0123");
    expect(formatMicroUsd(2_500_000)).toBe("$2.50");
  });

  it("says how long ago and names reasons in words", () => {
    expect(formatAgo(1_000, 1_500)).toBe("now");
    expect(formatAgo(0, 42_000)).toBe("42 s ago");
    expect(formatAgo(0, 180_000)).toBe("3 min ago");
    expect(formatReason("PROVIDER_UNAVAILABLE")).toBe("provider unavailable");
  });

  it("rates an open breaker bad and a noisy deployment a warning", () => {
    expect(healthTone("open", 0)).toBe("bad");
    expect(healthTone("closed", 0.2)).toBe("warn");
    expect(healthTone("closed", 0.01)).toBe("good");
  });
});
