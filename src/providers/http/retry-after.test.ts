import { describe, expect, it } from "vitest";
import { parseDurationMs, parseResetTimestampMs, parseRetryAfterMs } from "./retry-after.js";

describe("parseRetryAfterMs", () => {
  const now = Date.parse("2025-08-20T11:57:57Z");

  it("prefers retry-after-ms over retry-after", () => {
    expect(parseRetryAfterMs(new Headers({ "retry-after-ms": "1500", "retry-after": "9" }), now)).toBe(1500);
  });

  it("reads retry-after in seconds", () => {
    expect(parseRetryAfterMs(new Headers({ "retry-after": "20" }), now)).toBe(20_000);
  });

  it("reads retry-after as an HTTP date relative to now", () => {
    expect(parseRetryAfterMs(new Headers({ "retry-after": "Wed, 20 Aug 2025 11:58:07 GMT" }), now)).toBe(10_000);
  });

  it("returns zero for an HTTP date in the past", () => {
    expect(parseRetryAfterMs(new Headers({ "retry-after": "Wed, 20 Aug 2025 11:00:00 GMT" }), now)).toBe(0);
  });

  it("returns undefined when no header is usable", () => {
    expect(parseRetryAfterMs(new Headers(), now)).toBeUndefined();
    expect(parseRetryAfterMs(new Headers({ "retry-after": "soon" }), now)).toBeUndefined();
  });
});

describe("parseDurationMs", () => {
  it.each([
    ["6ms", 6],
    ["0s", 0],
    ["1m30s", 90_000],
    ["6.596s", 6596],
    ["2h", 7_200_000],
    ["34.4s", 34_400],
    ["1h2m3.5s", 3_723_500],
  ])("parses %s as %d milliseconds", (text, expected) => {
    expect(parseDurationMs(text)).toBe(expected);
  });

  it("rounds fractions of a millisecond up so waiting is never too short", () => {
    expect(parseDurationMs("1.2ms")).toBe(2);
  });

  it.each(["", "soon", "5", "5 s", "s5", "1m30"])("rejects %j", (text) => {
    expect(parseDurationMs(text)).toBeUndefined();
  });
});

describe("parseResetTimestampMs", () => {
  const now = Date.parse("2026-01-26T23:34:20Z");

  it("returns the time until an RFC 3339 instant", () => {
    expect(parseResetTimestampMs("2026-01-26T23:34:26Z", now)).toBe(6000);
  });

  it("returns zero for an instant already past", () => {
    expect(parseResetTimestampMs("2026-01-26T23:00:00Z", now)).toBe(0);
  });

  it("returns undefined for text that is not a timestamp", () => {
    expect(parseResetTimestampMs("6s", now)).toBeUndefined();
  });
});
