import { kindForHttpStatus } from "../http/http-status.js";
import { asRecord, asString, parseJsonLeniently } from "../http/json.js";
import { parseResetTimestampMs, parseRetryAfterMs } from "../http/retry-after.js";
import { ProviderError, type ProviderErrorKind, type Usage } from "../spec.js";

/**
 * The one place that knows Anthropic's error bodies and headers.
 *
 * Body: `{"type":"error","error":{"type":<error type>,"message":…},"request_id"?:…}` (the
 * `request_id` appeared in late 2025). The same payload arrives mid-stream as `event: error` after a
 * 200, typically `overloaded_error`. Headers: `retry-after` (seconds) on rate limits, and
 * `anthropic-ratelimit-{requests,tokens,input-tokens,output-tokens}-{remaining,reset}` where `reset`
 * is an RFC 3339 instant, not a duration.
 */

const messages: Record<ProviderErrorKind, string> = {
  "rate-limited": "Anthropic rate-limited the call.",
  unavailable: "Anthropic is unavailable or overloaded.",
  timeout: "Anthropic timed out.",
  "auth-failed": "Anthropic refused the credentials or the account.",
  "invalid-request": "Anthropic rejected the request as invalid.",
  "context-length-exceeded": "The prompt is longer than the model's context window.",
  "content-filtered": "Anthropic refused the content.",
  "malformed-response": "Anthropic sent a response that could not be understood.",
  canceled: "The call was canceled.",
};

interface AnthropicErrorBody {
  type?: string;
  message?: string;
  detailsCode?: string;
}

function readErrorBody(parsed: unknown): AnthropicErrorBody {
  const error = asRecord(asRecord(parsed)?.error);
  if (error === undefined) return {};
  return {
    type: asString(error.type),
    message: asString(error.message),
    detailsCode: asString(asRecord(error.details)?.error_code),
  };
}

/**
 * Classifies by Anthropic's `error.type` first and the HTTP status second. Refinements:
 * - `invalid_request_error` saying "prompt is too long: N tokens > M maximum" (or that input plus
 *   `max_tokens` exceed the context limit) is `context-length-exceeded`.
 * - 529 / `overloaded_error` and 500 `api_error` are `unavailable` (retry elsewhere).
 * - A 429 caused by the organisation's monthly spend cap (`details.error_code:
 *   "enforced_spend_limit_reached"`) will not clear by waiting, so it is `auth-failed` (an account
 *   problem that opens the breaker) rather than `rate-limited`.
 * - `billing_error` and `permission_error` are account problems: `auth-failed`.
 */
function classify(body: AnthropicErrorBody, status: number | undefined): ProviderErrorKind {
  const text = body.message?.toLowerCase() ?? "";
  switch (body.type) {
    case "invalid_request_error":
      if (text.includes("prompt is too long") || (text.includes("exceed") && text.includes("context"))) {
        return "context-length-exceeded";
      }
      return "invalid-request";
    case "authentication_error":
    case "permission_error":
    case "billing_error":
      return "auth-failed";
    case "not_found_error":
    case "request_too_large":
      return "invalid-request";
    case "rate_limit_error":
      return body.detailsCode === "enforced_spend_limit_reached" ? "auth-failed" : "rate-limited";
    case "overloaded_error":
    case "api_error":
      return "unavailable";
    case "timeout_error":
      return "timeout";
    default:
      return status === undefined ? "unavailable" : kindForHttpStatus(status);
  }
}

const rateLimitNames = ["requests", "tokens", "input-tokens", "output-tokens"];

/**
 * The wait Anthropic asks for: `retry-after` / `retry-after-ms` when present; otherwise, on a 429,
 * the latest `anthropic-ratelimit-*-reset` among the limits whose `remaining` is 0 (those are the
 * ones that refused us), or the earliest reset when none says which limit is spent.
 */
export function anthropicRetryAfterMs(headers: Headers, status: number, now: number = Date.now()): number | undefined {
  const fromHeader = parseRetryAfterMs(headers, now);
  if (fromHeader !== undefined || status !== 429) return fromHeader;
  const exhausted: number[] = [];
  const all: number[] = [];
  for (const name of rateLimitNames) {
    const reset = headers.get(`anthropic-ratelimit-${name}-reset`);
    const waitMs = reset === null ? undefined : parseResetTimestampMs(reset, now);
    if (waitMs === undefined) continue;
    all.push(waitMs);
    const remaining = headers.get(`anthropic-ratelimit-${name}-remaining`);
    if (remaining !== null && Number(remaining.trim()) === 0) exhausted.push(waitMs);
  }
  if (exhausted.length > 0) return Math.max(...exhausted);
  return all.length > 0 ? Math.min(...all) : undefined;
}

/** The `ProviderError` for a non-2xx Anthropic response. The body goes only into `cause`. */
export function anthropicErrorFromResponse(
  status: number,
  headers: Headers,
  bodyText: string,
  now: number = Date.now(),
): ProviderError {
  const body = readErrorBody(parseJsonLeniently(bodyText));
  const kind = classify(body, status);
  const retryAfterMs = kind === "rate-limited" || kind === "unavailable" ? anthropicRetryAfterMs(headers, status, now) : undefined;
  return new ProviderError(kind, messages[kind], {
    status,
    retryAfterMs,
    vendorCode: body.detailsCode ?? body.type,
    cause: { status, body: bodyText, requestId: headers.get("request-id") ?? undefined },
  });
}

/**
 * The `ProviderError` for an in-band `event: error` (sent after a 200, e.g. `overloaded_error`),
 * carrying the usage seen so far and whether content was already streamed.
 */
export function anthropicStreamError(data: string, state: { usage: Usage; afterContent: boolean }): ProviderError {
  const body = readErrorBody(parseJsonLeniently(data));
  const kind = classify(body, undefined);
  return new ProviderError(kind, messages[kind], {
    usage: state.usage,
    afterContent: state.afterContent,
    vendorCode: body.type,
    cause: { event: "error", data },
  });
}

/** A failed stream or body: the client-safe message for a kind, for callers building their own errors. */
export function anthropicErrorMessage(kind: ProviderErrorKind): string {
  return messages[kind];
}
