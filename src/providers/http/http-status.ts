import type { ProviderErrorKind } from "../spec.js";

/**
 * The default error kind for an upstream HTTP status, before any vendor-specific refinement in
 * `<p>-error.ts` (which knows, say, that OpenAI's 400 `context_length_exceeded` is its own kind).
 * 429 is `rate-limited`: the caller did nothing wrong, so it is retryable elsewhere. 529 is
 * Anthropic's "overloaded".
 */
export function kindForHttpStatus(status: number): ProviderErrorKind {
  switch (status) {
    case 400:
    case 404:
    case 413:
    case 422:
      return "invalid-request";
    case 401:
    case 403:
      return "auth-failed";
    case 408:
    case 504:
      return "timeout";
    case 429:
      return "rate-limited";
    default:
      if (status >= 500) return "unavailable";
      return "invalid-request";
  }
}
