import { describe, expect, it } from "vitest";
import { createOpenAIError } from "./openai-error.js";

function body(error: Record<string, unknown>): string {
  return JSON.stringify({ error });
}

describe("createOpenAIError", () => {
  it("maps a 429 rate limit and reads the wait from retry-after-ms", () => {
    const error = createOpenAIError({
      status: 429,
      headers: new Headers({ "retry-after-ms": "250", "x-ratelimit-reset-tokens": "9s" }),
      bodyText: body({ message: "Rate limit reached", type: "tokens", code: "rate_limit_exceeded" }),
    });
    expect(error).toMatchObject({ kind: "rate-limited", retryAfterMs: 250, status: 429, vendorCode: "rate_limit_exceeded" });
    expect(error.isRetryable).toBe(true);
  });

  it("reads the wait from the 'Please try again in' sentence when no retry header is sent", () => {
    const error = createOpenAIError({
      status: 429,
      headers: new Headers({ "x-ratelimit-reset-tokens": "9s" }),
      bodyText: body({
        message: "Rate limit reached for gpt-4.1 in organization org-x on tokens per min (TPM): Limit 30000, Used 18928, Requested 11159. Please try again in 6.596s. Visit https://platform.openai.com/account/rate-limits to learn more.",
        type: "tokens",
        code: "rate_limit_exceeded",
      }),
    });
    expect(error.retryAfterMs).toBe(6596);
  });

  it("reads the wait from the reset header of the limit that was hit", () => {
    const headers = new Headers({ "x-ratelimit-reset-requests": "6ms", "x-ratelimit-reset-tokens": "1m30s" });
    expect(createOpenAIError({ status: 429, headers, bodyText: body({ message: "x", type: "requests" }) }).retryAfterMs).toBe(6);
    expect(createOpenAIError({ status: 429, headers, bodyText: body({ message: "x", type: "tokens" }) }).retryAfterMs).toBe(90_000);
    expect(createOpenAIError({ status: 429, headers, bodyText: body({ message: "x" }) }).retryAfterMs).toBe(90_000);
  });

  it("treats insufficient_quota as a non-retryable provider fault", () => {
    const error = createOpenAIError({
      status: 429,
      headers: new Headers({ "retry-after": "1" }),
      bodyText: body({ message: "You exceeded your current quota", type: "insufficient_quota", code: "insufficient_quota" }),
    });
    expect(error.kind).toBe("auth-failed");
    expect(error.isRetryable).toBe(false);
    expect(error.isProviderFault).toBe(true);
    expect(error.retryAfterMs).toBeUndefined();
  });

  it("maps Azure's content_filter code to content-filtered", () => {
    const error = createOpenAIError({ status: 400, bodyText: body({ message: "filtered", code: "content_filter" }) });
    expect(error.kind).toBe("content-filtered");
  });

  it("recognises a compatible server's context error by its message", () => {
    const error = createOpenAIError({
      status: 400,
      bodyText: body({ message: "This model's maximum context length is 8192 tokens. However, you requested 9000 tokens.", type: "BadRequestError", code: 400 }),
    });
    expect(error.kind).toBe("context-length-exceeded");
  });

  it("maps 5xx to unavailable and 401 to auth-failed", () => {
    expect(createOpenAIError({ status: 503, bodyText: "<html>busy</html>" }).kind).toBe("unavailable");
    expect(createOpenAIError({ status: 401, bodyText: body({ message: "Incorrect API key", code: "invalid_api_key" }) }).kind).toBe("auth-failed");
  });

  it("classifies a stream error event without a status by its type", () => {
    expect(createOpenAIError({ bodyText: body({ message: "x", type: "server_error" }) }).kind).toBe("unavailable");
    expect(createOpenAIError({ bodyText: body({ message: "x", type: "rate_limit_error" }) }).kind).toBe("rate-limited");
    expect(createOpenAIError({ bodyText: body({ message: "x", type: "invalid_request_error" }) }).kind).toBe("invalid-request");
  });

  it("keeps the upstream body out of the message and in the cause", () => {
    const bodyText = body({ message: "secret detail sk-abc", type: "invalid_request_error", code: "weird code with spaces" });
    const error = createOpenAIError({ status: 400, bodyText });
    expect(error.message).not.toContain("secret");
    expect(error.message).not.toContain("weird");
    expect(error.cause).toBe(bodyText);
  });
});
