import { describe, expect, it } from "vitest";
import { asArray, asNumber, asRecord, asString, parseJsonLeniently } from "./json.js";

describe("lenient JSON readers", () => {
  it("returns undefined instead of throwing on broken JSON", () => {
    expect(parseJsonLeniently("{broken")).toBeUndefined();
    expect(parseJsonLeniently('{"a":1}')).toEqual({ a: 1 });
  });

  it("reads values only when they have the expected type", () => {
    expect(asRecord([])).toBeUndefined();
    expect(asRecord(null)).toBeUndefined();
    expect(asArray({})).toBeUndefined();
    expect(asString(1)).toBeUndefined();
    expect(asNumber(Number.NaN)).toBeUndefined();
    expect(asNumber(0)).toBe(0);
  });
});
