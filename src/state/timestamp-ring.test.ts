import { describe, expect, it } from "vitest";
import { TimestampRing } from "./timestamp-ring.js";

describe("TimestampRing", () => {
  it("counts events and flagged events until they are pruned", () => {
    const ring = new TimestampRing(4);
    ring.push(10, false);
    ring.push(20, true);
    ring.push(30, true);
    expect([ring.length, ring.flaggedCount]).toEqual([3, 2]);
    ring.pruneThrough(20);
    expect([ring.length, ring.flaggedCount]).toEqual([1, 1]);
    ring.pruneBefore(30);
    expect([ring.length, ring.flaggedCount]).toEqual([1, 1]);
    ring.pruneBefore(31);
    expect([ring.length, ring.flaggedCount]).toEqual([0, 0]);
  });

  it("keeps order and counts across growth while wrapped around", () => {
    const ring = new TimestampRing(4);
    for (let at = 0; at < 3; at += 1) ring.push(at, at % 2 === 0);
    ring.pruneThrough(1); // head moves: the next pushes wrap around the end
    for (let at = 3; at < 20; at += 1) ring.push(at, at % 2 === 0);
    expect(ring.length).toBe(18);
    expect(ring.flaggedCount).toBe(9);
    ring.pruneBefore(10);
    expect(ring.length).toBe(10);
    expect(ring.flaggedCount).toBe(5);
  });

  it("stops growing once the window is full: a steady stream reuses the same memory", () => {
    const ring = new TimestampRing(16);
    for (let at = 0; at < 100_000; at += 1) {
      ring.pruneThrough(at - 1_000);
      ring.push(at, at % 7 === 0);
    }
    expect(ring.length).toBe(1_000);
    expect(ring.capacity).toBe(1_024);
  });

  it("clears", () => {
    const ring = new TimestampRing();
    ring.push(1, true);
    ring.clear();
    expect([ring.length, ring.flaggedCount]).toEqual([0, 0]);
  });
});
