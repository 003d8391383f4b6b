import { ProviderError, type Usage } from "../spec.js";

/** What a stream parser knows when reading fails: the usage reported so far and whether content went out. */
export interface StreamState {
  usage: Usage;
  afterContent: boolean;
}

/**
 * Adds the stream's usage and content flag to an error thrown while reading it, so routing can bill the
 * partial answer and knows whether a silent fallback is still possible. Anything that is not already a
 * ProviderError was a parsing failure: `malformed-response` with the vendor's client-safe message.
 */
export function withStreamState(error: unknown, state: StreamState, malformedMessage: string): ProviderError {
  if (!(error instanceof ProviderError)) {
    return new ProviderError("malformed-response", malformedMessage, { ...state, cause: error });
  }
  if (error.usage !== undefined && error.afterContent === state.afterContent) return error;
  return new ProviderError(error.kind, error.message, {
    status: error.status,
    retryAfterMs: error.retryAfterMs,
    usage: error.usage ?? state.usage,
    afterContent: error.afterContent || state.afterContent,
    cause: error.cause,
    vendorCode: error.vendorCode,
  });
}
