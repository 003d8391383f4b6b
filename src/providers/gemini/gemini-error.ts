import { kindForHttpStatus } from "../http/http-status.js";
import { asArray, asNumber, asRecord, asString, parseJsonLeniently } from "../http/json.js";
import { parseDurationMs, parseRetryAfterMs } from "../http/retry-after.js";
import { ProviderError, type ProviderErrorKind, type Usage } from "../spec.js";

/**
 * The one place that knows Gemini's error bodies: the Google RPC status envelope
 * `{"error":{"code":<http>,"message":…,"status":<CANONICAL_CODE>,"details"?:[{"@type":…}]}}`,
 * pretty-printed. Gemini sends no rate-limit headers; the wait is in the body, as
 * `google.rpc.RetryInfo.retryDelay` ("34.4s"). The same envelope can arrive as a bare chunk in the
 * middle of an `alt=sse` stream after a 200.
 */

const messages: Record<ProviderErrorKind, string> = {
  "rate-limited": "Gemini rate-limited the call or the quota is spent.",
  unavailable: "Gemini is unavailable or overloaded.",
  timeout: "Gemini timed out.",
  "auth-failed": "Gemini refused the credentials or the project.",
  "invalid-request": "Gemini rejected the request as invalid.",
  "context-length-exceeded": "The prompt is longer than the model's context window.",
  "content-filtered": "Gemini blocked the prompt or the response.",
  "malformed-response": "Gemini sent a response that could not be understood.",
  canceled: "The call was canceled.",
};

/** The client-safe message for a kind. */
export function geminiErrorMessage(kind: ProviderErrorKind): string {
  return messages[kind];
}

interface GeminiStatus {
  code?: number;
  status?: string;
  message?: string;
  details: Record<string, unknown>[];
}

/** Reads the envelope; a non-`alt=sse` stream wraps it in an array, so the first element is taken. */
export function readGeminiStatus(parsed: unknown): GeminiStatus | undefined {
  const envelope = asRecord(parsed) ?? asRecord(asArray(parsed)?.[0]);
  const error = asRecord(envelope?.error);
  if (error === undefined) return undefined;
  return {
    code: asNumber(error.code),
    status: asString(error.status),
    message: asString(error.message),
    details: (asArray(error.details) ?? []).flatMap((detail) => {
      const record = asRecord(detail);
      return record === undefined ? [] : [record];
    }),
  };
}

function detail(status: GeminiStatus, typeSuffix: string): Record<string, unknown> | undefined {
  return status.details.find((item) => asString(item["@type"])?.endsWith(typeSuffix) === true);
}

/**
 * Classifies by the canonical `status` first, then the HTTP code. Refinements:
 * - `INVALID_ARGUMENT` "The input token count (N) exceeds the maximum number of tokens allowed (M)"
 *   is `context-length-exceeded`; with `ErrorInfo.reason: API_KEY_INVALID` it is a bad key.
 * - `FAILED_PRECONDITION` (free tier unavailable in the region, billing off) can only be fixed in
 *   the Google project, so it counts as `auth-failed` like `PERMISSION_DENIED`.
 * - `RESOURCE_EXHAUSTED` is `rate-limited` (per-minute limits and daily quotas alike).
 */
function classify(status: GeminiStatus, httpStatus: number | undefined): ProviderErrorKind {
  const text = status.message?.toLowerCase() ?? "";
  switch (status.status) {
    case "INVALID_ARGUMENT":
      if (text.includes("input token count") && text.includes("exceeds")) return "context-length-exceeded";
      if (asString(detail(status, "google.rpc.ErrorInfo")?.reason) === "API_KEY_INVALID") return "auth-failed";
      return "invalid-request";
    case "FAILED_PRECONDITION":
    case "PERMISSION_DENIED":
    case "UNAUTHENTICATED":
      return "auth-failed";
    case "NOT_FOUND":
      return "invalid-request";
    case "RESOURCE_EXHAUSTED":
      return "rate-limited";
    case "UNAVAILABLE":
    case "INTERNAL":
      return "unavailable";
    case "DEADLINE_EXCEEDED":
      return "timeout";
    default: {
      const code = status.code ?? httpStatus;
      return code === undefined || code < 400 ? "unavailable" : kindForHttpStatus(code);
    }
  }
}

function retryDelayMs(status: GeminiStatus): number | undefined {
  const delay = asString(detail(status, "google.rpc.RetryInfo")?.retryDelay);
  return delay === undefined ? undefined : parseDurationMs(delay);
}

/** The `ProviderError` for a non-2xx Gemini response. The body goes only into `cause`. */
export function geminiErrorFromResponse(httpStatus: number, headers: Headers, bodyText: string): ProviderError {
  const status = readGeminiStatus(parseJsonLeniently(bodyText)) ?? { details: [] };
  const kind = classify(status, httpStatus);
  return new ProviderError(kind, messages[kind], {
    status: httpStatus,
    retryAfterMs: retryDelayMs(status) ?? parseRetryAfterMs(headers),
    vendorCode: status.status,
    cause: { status: httpStatus, body: bodyText },
  });
}

/** The `ProviderError` for an error envelope received as a stream chunk after a 200. */
export function geminiStreamError(
  status: GeminiStatus,
  data: string,
  state: { usage: Usage; afterContent: boolean },
): ProviderError {
  const kind = classify(status, undefined);
  return new ProviderError(kind, messages[kind], {
    ...(status.code !== undefined ? { status: status.code } : {}),
    retryAfterMs: retryDelayMs(status),
    vendorCode: status.status,
    usage: state.usage,
    afterContent: state.afterContent,
    cause: { data },
  });
}
