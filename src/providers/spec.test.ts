import { describe, expect, it } from "vitest";
import { ProviderError } from "./spec.js";

const key = "sk-proj-abcDEF123ghiJKL456mnoPQR789stuVWX";

describe("ProviderError", () => {
  it("stores vendor text and plain data in its cause redacted", () => {
    expect(new ProviderError("unavailable", "x", { cause: `{"code":"${key}"}` }).cause).toBe('{"code":"[REDACTED]"}');
    expect(new ProviderError("unavailable", "x", { cause: { status: 500, body: key } }).cause).toEqual({ status: 500, body: "[REDACTED]" });
  });

  it("keeps an error cause as it is, for its type and identity", () => {
    const cause = new Error("socket hang up");
    expect(new ProviderError("unavailable", "x", { cause }).cause).toBe(cause);
  });

  it("keeps a vendor code only when it is shaped like a code and not like a secret", () => {
    expect(new ProviderError("rate-limited", "x", { vendorCode: "rate_limit_exceeded" }).vendorCode).toBe("rate_limit_exceeded");
    expect(new ProviderError("rate-limited", "x", { vendorCode: key }).vendorCode).toBeUndefined();
  });

  it("redacts a credential from its message", () => {
    expect(new ProviderError("rate-limited", `refused ${key}`).message).toBe("refused [REDACTED]");
  });
});
