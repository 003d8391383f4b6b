import { kindForHttpStatus } from "../http/http-status.js";
import { asRecord, asString, parseJsonLeniently } from "../http/json.js";
import { parseRetryAfterMs } from "../http/retry-after.js";
import { ProviderError, type ProviderErrorKind, type Usage } from "../spec.js";

/**
 * The one place that knows Ollama's errors: a flat `{"error":"<text>"}` with no code or type, so
 * the text is what distinguishes them. After a 200 the same object can arrive as a last NDJSON
 * line. Ollama sends no rate-limit headers; `retry-after` is read in case a proxy in front adds it.
 */

const messages: Record<ProviderErrorKind, string> = {
  "rate-limited": "Ollama rate-limited the call.",
  unavailable: "Ollama is unavailable or busy.",
  timeout: "Ollama timed out.",
  "auth-failed": "Ollama refused the credentials.",
  "invalid-request": "Ollama rejected the request as invalid.",
  "context-length-exceeded": "The prompt is longer than the model's context window.",
  "content-filtered": "Ollama refused the content.",
  "malformed-response": "Ollama sent a response that could not be understood.",
  canceled: "The call was canceled.",
};

/** The client-safe message for a kind. */
export function ollamaErrorMessage(kind: ProviderErrorKind): string {
  return messages[kind];
}

/** The `error` text of an Ollama error object, if it is one. */
export function readOllamaErrorText(parsed: unknown): string | undefined {
  return asString(asRecord(parsed)?.error);
}

/**
 * Classifies by text, then status:
 * - "the input length exceeds the context length" (400, with `truncate:false`) →
 *   `context-length-exceeded`.
 * - "<model> does not support tools" (400) → `invalid-request`: the caller sent tools to a model
 *   without them.
 * - "server busy, please try again.  maximum pending requests exceeded" (503) → `unavailable`.
 * - `model "x" not found, try pulling it first` (404) → `invalid-request`.
 * An in-band error line (no status) is a runner failure mid-generation: `unavailable`.
 */
function classify(text: string, status: number | undefined): ProviderErrorKind {
  const lower = text.toLowerCase();
  if (lower.includes("context length") && lower.includes("exceed")) return "context-length-exceeded";
  if (lower.includes("does not support")) return "invalid-request";
  if (lower.includes("server busy") || lower.includes("maximum pending requests")) return "unavailable";
  if (status === undefined) return "unavailable";
  return kindForHttpStatus(status);
}

/** The `ProviderError` for a non-2xx Ollama response. The body goes only into `cause`. */
export function ollamaErrorFromResponse(status: number, headers: Headers, bodyText: string): ProviderError {
  const text = readOllamaErrorText(parseJsonLeniently(bodyText)) ?? "";
  const kind = classify(text, status);
  return new ProviderError(kind, messages[kind], {
    status,
    retryAfterMs: kind === "rate-limited" || kind === "unavailable" ? parseRetryAfterMs(headers) : undefined,
    cause: { status, body: bodyText },
  });
}

/** The `ProviderError` for an `{"error":…}` line received after a 200. */
export function ollamaStreamError(text: string, line: string, state: { usage: Usage; afterContent: boolean }): ProviderError {
  const kind = classify(text, undefined);
  return new ProviderError(kind, messages[kind], { ...state, cause: { line } });
}
