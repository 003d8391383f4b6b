import { describe, expect, it } from "vitest";
import { looksLikeSecret, redactSecretText, redactSecrets, safeErrorCode } from "./redact-secrets.js";

describe("redactSecretText", () => {
  it("redacts keys recognisable by their shape wherever they stand", () => {
    const text = [
      "sk-proj-abcDEF123ghiJKL456mnoPQR789stuVWX",
      "sk-ant-api03-AbC123dEf456GhI789jKl012MnO",
      "AIzaSyD4fG7hJ2kL9mN3pQ6rS8tU1vW5xY0zA2b",
      "gsk_0123456789abcdefABCDEF",
      "AKIAIOSFODNN7EXAMPLE",
      "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N",
    ].join(" and ");
    expect(redactSecretText(text)).toBe(Array(6).fill("[REDACTED]").join(" and "));
  });

  it("redacts bearer tokens and the values of secret-named fields, keeping JSON quotes", () => {
    expect(redactSecretText("Authorization: Bearer abc123def456ghi")).toBe("Authorization: [REDACTED]");
    expect(redactSecretText("token rejected: Bearer 9f8e7d6c5b4a3928")).toBe("token rejected: Bearer [REDACTED]");
    expect(redactSecretText('{"api_key": "hunter2", "model": "m"}')).toBe('{"api_key": "[REDACTED]", "model": "m"}');
    expect(redactSecretText("https://host/v1?key=abc&alt=sse")).toBe("https://host/v1?key=[REDACTED]&alt=sse");
  });

  it("leaves ordinary vendor text alone", () => {
    const text = "Rate limit reached for gpt-4.1-mini (rate_limit_exceeded): max_tokens is 10, input_tokens=5. Incorrect API key provided: sk-proj-****abcd.";
    expect(redactSecretText(text)).toBe(text);
  });
});

describe("safeErrorCode", () => {
  it("keeps codes shaped like codes", () => {
    for (const code of ["rate_limit_exceeded", "RESOURCE_EXHAUSTED", "429", "overloaded_error", "UND_ERR_RES_CONTENT_LENGTH_MISMATCH"]) {
      expect(safeErrorCode(code)).toBe(code);
    }
  });

  it("drops free text, overlong codes and anything that looks like a secret", () => {
    for (const code of ["weird code with spaces", "x".repeat(65), "sk-proj-short", "AIzaSyD4fG7h", "a1b2c3d4e5f6a7b8c9d0e1", "0123456789abcdef0123456789abcdef"]) {
      expect(safeErrorCode(code)).toBeUndefined();
    }
    expect(looksLikeSecret("Bearer x")).toBe(true);
  });
});

describe("redactSecrets", () => {
  it("redacts credentials inside string values, error messages and stacks", () => {
    const key = "sk-ant-api03-AbC123dEf456GhI789jKl012MnO";
    const scrubbed = JSON.stringify(redactSecrets({ body: `{"error":{"type":"${key}"}}`, err: new Error(`refused ${key}`), list: [key] }));
    expect(scrubbed).not.toContain("AbC123dEf456");
    expect(scrubbed).toContain("[REDACTED]");
  });
});
