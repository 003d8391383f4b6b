/**
 * Deep, case-insensitive scrubbing of secret-bearing keys in anything about to be logged. pino's own
 * `redact` paths are exact and case-sensitive, but HTTP headers arrive as `Authorization`,
 * `authorization` or `AUTHORIZATION` and vendor errors nest them at any depth, so the logger runs every
 * object through this instead.
 */

/** The replacement written instead of a secret. */
export const redactedValue = "[REDACTED]";

/** Keys whose values are secrets, compared lower-cased. */
export const secretKeys: ReadonlySet<string> = new Set([
  "authorization",
  "proxy-authorization",
  "x-api-key",
  "api-key",
  "x-goog-api-key",
  "apikey",
  "api_key",
  "cookie",
  "set-cookie",
]);

const maxDepth = 12;

/** Whether `key` names a secret in any casing. */
export function isSecretKey(key: string): boolean {
  return secretKeys.has(key.toLowerCase());
}

/**
 * A copy of `value` with every secret key's value replaced, at any depth. Errors become plain objects
 * (type, message, stack, cause and own fields), scrubbed the same way; `Headers` and `Map`s are walked too.
 * Cycles and very deep nesting are cut rather than followed.
 */
export function redactSecrets(value: unknown): unknown {
  return scrub(value, 0, new WeakSet());
}

function scrub(value: unknown, depth: number, seen: WeakSet<object>): unknown {
  if (value === null || typeof value !== "object") return value;
  if (seen.has(value)) return "[Circular]";
  if (depth >= maxDepth) return "[Truncated]";
  seen.add(value);
  try {
    if (Array.isArray(value)) return value.map((item) => scrub(item, depth + 1, seen));
    if (value instanceof Error) return scrubError(value, depth, seen);
    if (typeof Headers !== "undefined" && value instanceof Headers) {
      const out: Record<string, unknown> = {};
      value.forEach((headerValue, key) => {
        out[key] = isSecretKey(key) ? redactedValue : headerValue;
      });
      return out;
    }
    if (value instanceof Map) {
      const out: Record<string, unknown> = {};
      for (const [key, item] of value) {
        const name = String(key);
        out[name] = isSecretKey(name) ? redactedValue : scrub(item, depth + 1, seen);
      }
      return out;
    }
    if (value instanceof Date || ArrayBuffer.isView(value) || value instanceof ArrayBuffer) return value;
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) {
      out[key] = isSecretKey(key) ? redactedValue : scrub(item, depth + 1, seen);
    }
    return out;
  } finally {
    seen.delete(value);
  }
}

function scrubError(error: Error, depth: number, seen: WeakSet<object>): Record<string, unknown> {
  const out: Record<string, unknown> = {
    type: error.constructor?.name ?? "Error",
    message: error.message,
    stack: error.stack,
  };
  for (const [key, item] of Object.entries(error)) {
    out[key] = isSecretKey(key) ? redactedValue : scrub(item, depth + 1, seen);
  }
  if (error.cause !== undefined) out.cause = scrub(error.cause, depth + 1, seen);
  return out;
}
