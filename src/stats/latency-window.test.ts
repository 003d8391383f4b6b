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
