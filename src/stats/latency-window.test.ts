import { describe, expect, it } from "vitest";
import { createLatencyWindow, EWMA_ALPHA } from "./latency-window.js";
import { compareTexts } from "./text-agreement.js";

describe("createLatencyWindow", () => {
  it("reports nothing but the count before the first sample", () => {
    expect(createLatencyWindow().summary()).toEqual({ samples: 0 });
  });

  it("computes nearest-rank percentiles over the samples", () => {
    const window = createLatencyWindow(1_000);
    for (let ms = 1; ms <= 100; ms += 1) window.record(ms);
    expect(window.summary()).toMatchObject({ p50Ms: 50, p95Ms: 95, p99Ms: 99, samples: 100 });
  });

  it("keeps only the most recent samples", () => {
    const window = createLatencyWindow(4);
    for (const ms of [1_000, 1_000, 1_000, 1_000, 10, 10, 10, 10]) window.record(ms);
    expect(window.summary()).toMatchObject({ p99Ms: 10, samples: 4 });
  });

  it("moves the EWMA toward new samples", () => {
    const window = createLatencyWindow();
    window.record(100);
    window.record(200);
    expect(window.summary().ewmaMs).toBeCloseTo(100 + EWMA_ALPHA * 100);
  });
});

describe("compareTexts", () => {
  it("agrees after normalising case, punctuation and spacing", () => {
    expect(compareTexts("Paris.", "  paris ")).toEqual({ exact: false, normalized: true });
    expect(compareTexts("Paris", "Lyon")).toEqual({ exact: false, normalized: false });
  });
});

describe("createLatencyWindow against a sort of the last samples", () => {
  it("reports the same percentiles as sorting the most recent samples, over many evictions", () => {
    let seed = 7;
    const random = (): number => {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    const capacity = 16;
    const window = createLatencyWindow(capacity);
    const recorded: number[] = [];
    for (let index = 0; index < 500; index += 1) {
      // Repeated values on purpose: evicting one of several equal samples must remove exactly one.
      const ms = Math.floor(random() * 20);
      window.record(ms);
      recorded.push(ms);
      const recent = recorded.slice(-capacity).sort((a, b) => a - b);
      const rank = (q: number): number => recent[Math.min(recent.length - 1, Math.max(0, Math.ceil(q * recent.length) - 1))];
      expect(window.summary()).toMatchObject({ p50Ms: rank(0.5), p95Ms: rank(0.95), p99Ms: rank(0.99), samples: recent.length });
    }
  });
});
