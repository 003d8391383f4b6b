/**
 * Deep, case-insensitive scrubbing of secret-bearing keys in anything about to be logged. pino's own
 * `redact` paths are exact and case-sensitive, but HTTP headers arrive as `Authorization`,
 * `authorization` or `AUTHORIZATION` and vendor errors nest them at any depth, so the logger runs every
 * object through this instead. Keys are not enough: a vendor can echo a credential inside free text (an
 * error message, a body, an error code), so every string is also scrubbed of credentials recognisable
 * by their shape or label (`redactSecretText`).
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
 * A copy of `value` with every secret key's value replaced, at any depth, and every string passed through
 * `redactSecretText`. Errors become plain objects
 * (type, message, stack, cause and own fields), scrubbed the same way; `Headers` and `Map`s are walked too.
 * Cycles and very deep nesting are cut rather than followed.
 */
export function redactSecrets(value: unknown): unknown {
  return scrub(value, 0, new WeakSet());
}

/**
 * Credentials recognisable by their shape alone, case-sensitive: OpenAI (`sk-`, `sk-proj-`) and
 * Anthropic (`sk-ant-`) keys, Google API keys, Groq, xAI, Hugging Face, GitHub, GitLab and Slack tokens,
 * AWS access key ids and JSON Web Tokens.
 */
const credentialPattern = new RegExp(
  [
    String.raw`\bsk-[A-Za-z0-9_-]{16,}`,
    String.raw`\bAIza[A-Za-z0-9_-]{30,}`,
    String.raw`\b(?:gsk_|xai-|hf_|gh[opsur]_|github_pat_|glpat-|xox[abpr]-)[A-Za-z0-9_-]{16,}`,
    String.raw`\bAKIA[A-Z0-9]{16}\b`,
    String.raw`\beyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*`,
  ].join("|"),
  "g",
);

/** Names whose value is a secret in `name: value`, `name=value` and `"name": "value"` text. */
const secretFieldNames = [
  "proxy-authorization",
  "authorization",
  "x-goog-api-key",
  "x-api-key",
  "api[-_]?key",
  "(?:access|refresh|id)[-_]?token",
  "client[-_]?secret",
  "private[-_]?key",
  "passw(?:or)?d",
  "secret",
  "token",
  "key",
  "set-cookie",
  "cookie",
].join("|");

/**
 * Credentials recognisable by what stands before them, case-insensitive: a `Bearer` token, and the value
 * of a secret-named field in a header line, a query string or JSON. A quoted value stays quoted, so a
 * redacted JSON body still parses.
 */
const labelledSecretPattern = new RegExp(
  [
    String.raw`(?<scheme>\bBearer\s+)[A-Za-z0-9._~+/=-]{8,}`,
    String.raw`(?<field>(?<quote>["']?)\b(?:${secretFieldNames})\k<quote>\s*[:=]\s*)(?<value>"(?:[^"\\]|\\.)*"|'[^']*'|(?:Bearer\s+)?[^\s&,;"'<>(){}\[\]]+)`,
  ].join("|"),
  "gi",
);

interface LabelledSecret {
  scheme?: string;
  field?: string;
  value?: string;
}

function redactLabelled(...args: unknown[]): string {
  const groups = args.at(-1) as LabelledSecret;
  if (groups.scheme !== undefined) return `${groups.scheme}${redactedValue}`;
  const quote = groups.value?.[0] === '"' || groups.value?.[0] === "'" ? groups.value[0] : "";
  return `${groups.field ?? ""}${quote}${redactedValue}${quote}`;
}

/**
 * `text` with every credential recognisable by its shape or its label replaced by `[REDACTED]`: for
 * vendor text (error bodies, messages, codes) before it reaches an error or a log. A credential of no
 * known shape standing alone in prose cannot be told from other words and is left as it is.
 */
export function redactSecretText(text: string): string {
  return text.replace(credentialPattern, redactedValue).replace(labelledSecretPattern, redactLabelled);
}

/** The start of a credential of a known kind, however short the rest (a truncated key is still a key). */
const credentialPrefix = /\b(?:sk-|AIza|gsk_|xai-|hf_|gh[opsur]_|github_pat_|glpat-|xox[abpr]-|AKIA|eyJ)|\bBearer\b/i;

/** A run of letters and digits long enough to be a token rather than a word. */
const tokenLikeRun = /[A-Za-z0-9]{20,}/g;

/**
 * Whether `text` holds a credential or something shaped like one: what `redactSecretText` would
 * redact, the start of a known kind of key, or a run of 20 or more letters and digits mixing both (or of
 * 32 or more of either), as random keys and tokens are. Stricter than `redactSecretText`, for short
 * strings that are shown whole.
 */
export function looksLikeSecret(text: string): boolean {
  if (credentialPrefix.test(text) || redactSecretText(text) !== text) return true;
  for (const run of text.match(tokenLikeRun) ?? []) {
    if (run.length >= 32 || (/[0-9]/.test(run) && /[A-Za-z]/.test(run))) return true;
  }
  return false;
}

/**
 * A vendor's error code (`rate_limit_exceeded`, `RESOURCE_EXHAUSTED`, `429`) when it is safe to keep in
 * error metadata and messages: shaped like a code (letters, digits, `_.-`, at most 64) and not like a
 * secret. Anything else is dropped: a vendor that echoes the caller's key or free text in its code
 * field must not have it copied towards a client.
 */
export function safeErrorCode(code: string | undefined): string | undefined {
  return code !== undefined && /^[A-Za-z0-9_.-]{1,64}$/.test(code) && !looksLikeSecret(code) ? code : undefined;
}

function scrub(value: unknown, depth: number, seen: WeakSet<object>): unknown {
  if (typeof value === "string") return redactSecretText(value);
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
        out[key] = isSecretKey(key) ? redactedValue : redactSecretText(headerValue);
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
    message: redactSecretText(error.message),
    stack: error.stack === undefined ? undefined : redactSecretText(error.stack),
  };
  for (const [key, item] of Object.entries(error)) {
    out[key] = isSecretKey(key) ? redactedValue : scrub(item, depth + 1, seen);
  }
  if (error.cause !== undefined) out.cause = scrub(error.cause, depth + 1, seen);
  return out;
}
