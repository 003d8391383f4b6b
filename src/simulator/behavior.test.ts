import { describe, expect, it } from "vitest";
import { behaviorForRequest, type SimBehavior } from "./behavior.js";

describe("faultProbability", () => {
  const faulty: SimBehavior = { text: "ok", fault: { kind: "status", status: 503 }, faultProbability: 0.3 };

  it("applies the fault to about that share of requests, independently per request number", () => {
    const hits = Array.from({ length: 10_000 }, (_, index) => behaviorForRequest(faulty, index + 1).fault !== undefined);
    const share = hits.filter(Boolean).length / hits.length;
    // σ ≈ 0.0046 over 10 000 draws: ±4σ.
    expect(share).toBeGreaterThan(0.28);
    expect(share).toBeLessThan(0.32);
    // Independence, roughly: after a hit, the next request is hit at the same rate.
    const afterHit = hits.slice(1).filter((_, index) => hits[index]);
    expect(afterHit.filter(Boolean).length / afterHit.length).toBeGreaterThan(0.26);
    expect(afterHit.filter(Boolean).length / afterHit.length).toBeLessThan(0.34);
  });

  it("gives the same answer for the same request number, and keeps the rest of the behaviour", () => {
    const first = Array.from({ length: 50 }, (_, index) => behaviorForRequest(faulty, index + 1));
    const again = Array.from({ length: 50 }, (_, index) => behaviorForRequest(faulty, index + 1));
    expect(again).toEqual(first);
    expect(first.every((behavior) => behavior.text === "ok")).toBe(true);
  });

  it("leaves a behaviour without faultProbability alone", () => {
    const always: SimBehavior = { fault: { kind: "reset" } };
    expect(behaviorForRequest(always, 7)).toBe(always);
  });
});
