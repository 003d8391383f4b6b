import { describe, expect, it } from "vitest";
import { geminiErrorFromResponse } from "./gemini-error.js";

function envelope(code: number, status: string, message: string, details: unknown[] = []): string {
  return JSON.stringify({ error: { code, message, status, details } }, null, 2);
}

describe("geminiErrorFromResponse", () => {
  it("maps an invalid API key reported as INVALID_ARGUMENT to auth-failed", () => {
    const body = envelope(400, "INVALID_ARGUMENT", "API key not valid. Please pass a valid API key.", [
      { "@type": "type.googleapis.com/google.rpc.ErrorInfo", reason: "API_KEY_INVALID", domain: "googleapis.com" },
    ]);
    expect(geminiErrorFromResponse(400, new Headers(), body).kind).toBe("auth-failed");
  });

  it("maps other INVALID_ARGUMENT errors to invalid-request", () => {
    expect(geminiErrorFromResponse(400, new Headers(), envelope(400, "INVALID_ARGUMENT", "Unknown name \"foo\"")).kind).toBe(
      "invalid-request",
    );
  });

  it("reads the wait from an HTTP retry-after header when the body has no RetryInfo", () => {
    const error = geminiErrorFromResponse(429, new Headers({ "retry-after": "2" }), envelope(429, "RESOURCE_EXHAUSTED", "quota"));
    expect(error.retryAfterMs).toBe(2000);
  });

  it("falls back to the HTTP status for a body that is not an envelope", () => {
    expect(geminiErrorFromResponse(502, new Headers(), "<html>Bad Gateway</html>").kind).toBe("unavailable");
  });

  it("keeps the upstream body out of the message and in the cause", () => {
    const error = geminiErrorFromResponse(500, new Headers(), envelope(500, "INTERNAL", "secret internal detail"));
    expect(error.kind).toBe("unavailable");
    expect(error.message).not.toContain("secret");
    expect(JSON.stringify(error.cause)).toContain("secret");
  });
});
