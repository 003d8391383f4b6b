/**
 * The header readings every fast path makes the same way, so that what one accepts or declines the
 * others do too: encodings, the deadline header (`connect-timeout-ms` or `grpc-timeout`, parsed with
 * that protocol's own connect helper), and a header that may have arrived more than once.
 */

/** connect's `maxTimeoutMs` when the router sets none (validateUniversalHandlerOptions). */
const connectMaxTimeoutMs = Number.MAX_SAFE_INTEGER;

/** A protocol's `parseTimeout` from connect (protocol-connect's or protocol-grpc's). */
type ParseTimeout = (value: string, maxTimeoutMs: number) => { timeoutMs?: number; error?: unknown };

/** Absent or `identity`: nothing to decompress. */
export function isIdentityEncoding(value: string | string[] | undefined): boolean {
  return value === undefined || value === "identity";
}

/** A repeated header as Node would join it. */
export function singleHeader(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value.join(", ") : value;
}

/**
 * The call's deadline from its timeout header: `{ timeoutMs }` (undefined for none), or undefined when
 * the value is one connect refuses (or repeated), so the fast path declines and connect writes that error.
 */
export function readTimeoutHeader(value: string | string[] | undefined, parseTimeout: ParseTimeout): { timeoutMs: number | undefined } | undefined {
  if (value === undefined) return { timeoutMs: undefined };
  if (typeof value !== "string") return undefined;
  const timeout = parseTimeout(value, connectMaxTimeoutMs);
  if (timeout.error) return undefined;
  return { timeoutMs: timeout.timeoutMs };
}
