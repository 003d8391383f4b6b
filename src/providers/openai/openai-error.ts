import { kindForHttpStatus } from "../http/http-status.js";
import { asRecord, asString, parseJsonLeniently } from "../http/json.js";
import { parseDurationMs, parseRetryAfterMs } from "../http/retry-after.js";
import { safeErrorCode } from "../../observability/redact-secrets.js";
import { ProviderError, type ProviderErrorKind, type Usage } from "../spec.js";

/** The fields of OpenAI's error envelope `{"error": {"message", "type", "param", "code"}}`. */
interface OpenAIErrorFields {
  message?: string;
  type?: string;
  code?: string;
}

function readErrorFields(body: unknown): OpenAIErrorFields {
  const error = asRecord(asRecord(body)?.error);
  if (error === undefined) return {};
  const code = error.code;
  return {
    message: asString(error.message),
    type: asString(error.type),
    // Azure and some compatible servers send numeric codes.
    code: typeof code === "number" ? String(code) : asString(code),
  };
}

function refineKind(status: number | undefined, fields: OpenAIErrorFields): ProviderErrorKind {
  const { code, type, message = "" } = fields;
  if (code === "context_length_exceeded" || /maximum context length/i.test(message)) {
    return "context-length-exceeded";
  }
  if (code === "content_filter" || code === "content_policy_violation") return "content-filtered";
  // Out of credit: no retry fixes it soon, yet the caller did nothing wrong and another deployment
  // (another key or vendor) can serve. `auth-failed` says exactly that: not retryable here, but a
  // provider fault that opens this deployment's breaker, so routing falls back instead of failing.
  if (code === "insufficient_quota" || type === "insufficient_quota") return "auth-failed";
  // "Request too large for <model> ... tokens per min": this one request exceeds the whole per-minute
  // budget, so waiting cannot help; it is the caller's request that must shrink.
  if (status === 429 && /^request too large/i.test(message)) return "invalid-request";
  if (code === "invalid_api_key") return "auth-failed";
  if (status !== undefined) return kindForHttpStatus(status);
  // Mid-stream error events carry no status: classify by the error type.
  if (type === "rate_limit_error" || type === "tokens" || type === "requests" || code === "rate_limit_exceeded") {
    return "rate-limited";
  }
  if (type === "invalid_request_error") return "invalid-request";
  if (type === "authentication_error" || type === "permission_error") return "auth-failed";
  return "unavailable";
}

/**
 * The wait OpenAI asked for, in order of precision: `retry-after-ms`/`retry-after` headers, the
 * "Please try again in 6.596s" sentence of the message, then the `x-ratelimit-reset-*` header for
 * the limit that was hit (`type` "tokens" or "requests"; the longer of the two when unknown).
 */
function retryDelayMs(headers: Headers | undefined, fields: OpenAIErrorFields, now: number): number | undefined {
  const fromHeaders = headers === undefined ? undefined : parseRetryAfterMs(headers, now);
  if (fromHeaders !== undefined) return fromHeaders;
  const sentence = /try again in (\d+(?:\.\d+)?(?:ms|s|m|h)(?:\d+(?:\.\d+)?(?:ms|s))*)/i.exec(fields.message ?? "");
  const fromMessage = sentence === null ? undefined : parseDurationMs(sentence[1]);
  if (fromMessage !== undefined) return fromMessage;
  if (headers === undefined) return undefined;
  const requests = parseDurationMs(headers.get("x-ratelimit-reset-requests") ?? "");
  const tokens = parseDurationMs(headers.get("x-ratelimit-reset-tokens") ?? "");
  if (fields.type === "tokens") return tokens;
  if (fields.type === "requests") return requests;
  if (requests === undefined) return tokens;
  if (tokens === undefined) return requests;
  return Math.max(requests, tokens);
}

const messages: Record<ProviderErrorKind, string> = {
  "rate-limited": "The upstream rate limit was reached.",
  unavailable: "The upstream is unavailable.",
  timeout: "The upstream timed out.",
  "auth-failed": "The upstream refused the gateway's credentials or account.",
  "invalid-request": "The upstream rejected the request as invalid.",
  "context-length-exceeded": "The request exceeds the model's context length.",
  "content-filtered": "The upstream content filter blocked the request.",
  "malformed-response": "The upstream sent a malformed response.",
  canceled: "The call was canceled by the caller.",
};

export interface OpenAIErrorInput {
  /** The HTTP status; absent for an error event inside a 200 stream. */
  status?: number;
  headers?: Headers;
  /** The raw error body (or event data) text; kept only in `cause`. */
  bodyText: string;
  afterContent?: boolean;
  usage?: Usage;
  now?: number;
}

/**
 * Builds the `ProviderError` for an OpenAI (or OpenAI-compatible) error response or `data:
 * {"error": ...}` stream event. This is the only place that knows OpenAI's error bodies. The message
 * is ours and names at most the vendor's error code (when `safeErrorCode` keeps it); the body itself goes
 * only into `cause`, redacted.
 */
export function createOpenAIError(input: OpenAIErrorInput): ProviderError {
  const fields = readErrorFields(parseJsonLeniently(input.bodyText));
  const kind = refineKind(input.status, fields);
  // The vendor's code reaches the message and metadata only when it is shaped like a code and not like a
  // secret: servers have been seen echoing the caller's API key in `code`.
  const vendorCode = safeErrorCode(fields.code ?? fields.type);
  const retryAfterMs = kind === "rate-limited" || kind === "unavailable"
    ? retryDelayMs(input.headers, fields, input.now ?? Date.now())
    : undefined;
  const suffix = input.status === undefined ? "" : ` (HTTP ${input.status}${vendorCode === undefined ? "" : ` ${vendorCode}`})`;
  return new ProviderError(kind, `${messages[kind].slice(0, -1)}${suffix}.`, {
    status: input.status,
    retryAfterMs,
    usage: input.usage,
    afterContent: input.afterContent,
    vendorCode,
    cause: input.bodyText,
  });
}
