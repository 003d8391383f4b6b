import { describe, expect, it } from "vitest";
import { anthropicErrorFromResponse, anthropicRetryAfterMs } from "./anthropic-error.js";

const now = Date.parse("2026-01-26T23:34:00Z");

function body(type: string, message: string, extra: Record<string, unknown> = {}): string {
  return JSON.stringify({ type: "error", error: { type, message, ...extra }, request_id: "req_1" });
}

describe("anthropicErrorFromResponse", () => {
  it("maps a 400 prompt-too-long to context-length-exceeded", () => {
    const error = anthropicErrorFromResponse(
      400,
      new Headers(),
      body("invalid_request_error", "prompt is too long: 205351 tokens > 200000 maximum"),
    );
    expect(error.kind).toBe("context-length-exceeded");
    expect(error.message).not.toContain("205351");
    expect(error.cause).toMatchObject({ body: expect.stringContaining("205351") as unknown });
  });

  it("maps 401 authentication_error to auth-failed", () => {
    expect(anthropicErrorFromResponse(401, new Headers(), body("authentication_error", "invalid x-api-key")).kind).toBe("auth-failed");
  });

  it("maps 529 overloaded_error to unavailable", () => {
    expect(anthropicErrorFromResponse(529, new Headers(), body("overloaded_error", "Overloaded")).kind).toBe("unavailable");
  });

  it("maps a status with an unreadable body by the status alone", () => {
    expect(anthropicErrorFromResponse(502, new Headers(), "<html>bad gateway</html>").kind).toBe("unavailable");
    expect(anthropicErrorFromResponse(529, new Headers(), "").kind).toBe("unavailable");
  });

  it("treats the spend-cap 429 as an account problem, not a rate limit", () => {
    const error = anthropicErrorFromResponse(
      429,
      new Headers(),
      body("rate_limit_error", "spend limit", { details: { error_code: "enforced_spend_limit_reached" } }),
    );
    expect(error.kind).toBe("auth-failed");
    expect(error.vendorCode).toBe("enforced_spend_limit_reached");
  });

  it("takes the wait from the reset timestamp of the exhausted rate limit", () => {
    const headers = new Headers({
      "anthropic-ratelimit-requests-remaining": "10",
      "anthropic-ratelimit-requests-reset": "2026-01-26T23:34:05Z",
      "anthropic-ratelimit-tokens-remaining": "0",
      "anthropic-ratelimit-tokens-reset": "2026-01-26T23:34:26Z",
    });
    const error = anthropicErrorFromResponse(429, headers, body("rate_limit_error", "slow down"), now);
    expect(error.kind).toBe("rate-limited");
    expect(error.retryAfterMs).toBe(26_000);
  });
});

describe("anthropicRetryAfterMs", () => {
  it("prefers retry-after over the reset timestamps", () => {
    const headers = new Headers({ "retry-after": "3", "anthropic-ratelimit-tokens-reset": "2026-01-26T23:34:26Z" });
    expect(anthropicRetryAfterMs(headers, 429, now)).toBe(3000);
  });

  it("uses the earliest reset when no limit reports zero remaining", () => {
    const headers = new Headers({
      "anthropic-ratelimit-requests-reset": "2026-01-26T23:34:05Z",
      "anthropic-ratelimit-tokens-reset": "2026-01-26T23:34:26Z",
    });
    expect(anthropicRetryAfterMs(headers, 429, now)).toBe(5000);
  });

  it("returns undefined when nothing says how long to wait", () => {
    expect(anthropicRetryAfterMs(new Headers({ "x-should-retry": "true" }), 429, now)).toBeUndefined();
  });
});
