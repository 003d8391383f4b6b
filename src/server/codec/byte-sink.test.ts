import { describe, expect, it } from "vitest";
import { ByteSink } from "./byte-sink.js";

describe("ByteSink", () => {
  it("grows for a large message and gives the memory back at the next one", () => {
    const sink = new ByteSink();
    sink.reset();
    sink.string("x".repeat(1_000_000));
    expect(sink.finish().byteLength).toBe(1_000_003);
    expect(sink.capacity()).toBeGreaterThan(1_000_000);
    sink.reset();
    expect(sink.capacity()).toBeLessThanOrEqual(64 * 1024);
  });

  it("moves a section that ends at 128 bytes or more to make room for its longer length", () => {
    const sink = new ByteSink();
    sink.reset();
    const start = sink.beginSection();
    sink.raw(new Uint8Array(300).fill(7));
    sink.endSection(start);
    const bytes = sink.finish();
    // 300 as a varint is 0xac 0x02, then the 300 bytes, untouched.
    expect([...bytes.subarray(0, 2)]).toEqual([0xac, 0x02]);
    expect(bytes.byteLength).toBe(302);
    expect(bytes.subarray(2).every((byte) => byte === 7)).toBe(true);
  });
});
