import { describe, expect, it } from "vitest";
import { kindForHttpStatus } from "./http-status.js";

describe("kindForHttpStatus", () => {
  it.each([
    [400, "invalid-request"],
    [401, "auth-failed"],
    [403, "auth-failed"],
    [404, "invalid-request"],
    [408, "timeout"],
    [413, "invalid-request"],
    [422, "invalid-request"],
    [429, "rate-limited"],
    [500, "unavailable"],
    [502, "unavailable"],
    [503, "unavailable"],
    [504, "timeout"],
    [529, "unavailable"],
    [599, "unavailable"],
  ])("maps %d to %s", (status, kind) => {
    expect(kindForHttpStatus(status)).toBe(kind);
  });
});
