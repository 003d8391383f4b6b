import { ProviderError } from "../spec.js";

/** The signals a request runs under, so an abort can be attributed to the caller or to a time limit. */
export interface AbortSources {
  /** The caller's signal: its abort means the caller gave up (`canceled`). */
  caller: AbortSignal;
  /** Set when the attempt's total time limit is spent (`timeout`). */
  total?: { readonly aborted: boolean };
}

const unavailableCodes = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "EPIPE",
  "ENOTFOUND",
  "EAI_AGAIN",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "UND_ERR_SOCKET",
  "UND_ERR_CLOSED",
  "UND_ERR_DESTROYED",
  "UND_ERR_INFO",
  "UND_ERR_RES_CONTENT_LENGTH_MISMATCH",
  "UND_ERR_REQ_CONTENT_LENGTH_MISMATCH",
]);

const timeoutCodes = new Set([
  "UND_ERR_CONNECT_TIMEOUT",
  "UND_ERR_HEADERS_TIMEOUT",
  "UND_ERR_BODY_TIMEOUT",
  "ETIMEDOUT",
]);

function errorCode(error: unknown): string | undefined {
  if (typeof error !== "object" || error === null) return undefined;
  const code = (error as { code?: unknown }).code;
  if (typeof code === "string") return code;
  const cause = (error as { cause?: unknown }).cause;
  return cause === error ? undefined : errorCode(cause);
}

/**
 * Errors of the gateway's own host, not of the vendor: no file descriptor (per process or system-wide),
 * no buffer space, or no local port left to connect from.
 */
const localExhaustionCodes = new Set(["EMFILE", "ENFILE", "ENOBUFS", "EADDRNOTAVAIL"]);

/** Whether a connection failed because this host ran out of sockets, so no vendor is to blame. */
export function isLocalSocketExhaustion(error: unknown): boolean {
  const code = errorCode(error);
  return code !== undefined && localExhaustionCodes.has(code);
}

/**
 * Turns anything thrown while talking to an upstream into a `ProviderError`. The caller's signal is
 * checked first, so a cancel is never reported as a network fault; then the total time limit; then
 * undici's and the OS's error codes. The original error is kept in `cause` for logs only.
 */
export function toProviderError(error: unknown, sources: AbortSources): ProviderError {
  if (error instanceof ProviderError) return error;
  if (sources.caller.aborted) {
    return new ProviderError("canceled", "The call was canceled by the caller.", { cause: error });
  }
  if (sources.total?.aborted) {
    return new ProviderError("timeout", "The upstream call exceeded its total time limit.", { cause: error });
  }
  const code = errorCode(error);
  if (code !== undefined && timeoutCodes.has(code)) {
    return new ProviderError("timeout", "The upstream did not answer in time.", { cause: error, vendorCode: code });
  }
  if (code !== undefined && unavailableCodes.has(code)) {
    return new ProviderError("unavailable", "The upstream connection failed.", { cause: error, vendorCode: code });
  }
  if (error instanceof Error && error.name === "TimeoutError") {
    return new ProviderError("timeout", "The upstream did not answer in time.", { cause: error });
  }
  return new ProviderError("unavailable", "The upstream call failed.", { cause: error, vendorCode: code });
}

/**
 * Returns the same error marked as having happened after content was produced. Routing needs this
 * to know a stream can no longer fall back silently.
 */
export function markAfterContent(error: ProviderError, afterContent: boolean): ProviderError {
  if (!afterContent || error.afterContent) return error;
  return new ProviderError(error.kind, error.message, {
    status: error.status,
    retryAfterMs: error.retryAfterMs,
    usage: error.usage,
    afterContent: true,
    cause: error.cause,
    vendorCode: error.vendorCode,
  });
}
