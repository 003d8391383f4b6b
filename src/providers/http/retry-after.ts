/**
 * How long the vendor asked us to wait, from standard headers: `retry-after-ms` (OpenAI, Azure;
 * milliseconds, preferred because it is finer) then `retry-after` in seconds or as an HTTP-date.
 * Returns undefined when no usable header is present; never a guessed default.
 */
export function parseRetryAfterMs(headers: Headers, now: number = Date.now()): number | undefined {
  const milliseconds = headers.get("retry-after-ms");
  if (milliseconds !== null) {
    const value = Number(milliseconds.trim());
    if (milliseconds.trim() !== "" && Number.isFinite(value) && value >= 0) return Math.ceil(value);
  }
  const retryAfter = headers.get("retry-after");
  if (retryAfter === null) return undefined;
  const text = retryAfter.trim();
  if (/^\d+(\.\d+)?$/.test(text)) return Math.ceil(Number(text) * 1000);
  const date = Date.parse(text);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, date - now);
}

const durationUnits: Record<string, number> = { h: 3_600_000, m: 60_000, s: 1000, ms: 1, us: 0.001, µs: 0.001, ns: 0.000001 };

/**
 * Parses a Go-style duration, as OpenAI sends in `x-ratelimit-reset-*` ("6ms", "0s", "1m30s",
 * "6.596s", "2h") and Gemini in `RetryInfo.retryDelay` ("34.4s"), into milliseconds (rounded up, so
 * waiting the result is never too short). Returns undefined for anything else.
 */
export function parseDurationMs(text: string): number | undefined {
  const trimmed = text.trim();
  if (trimmed === "") return undefined;
  const pattern = /(\d+(?:\.\d+)?)(ms|us|µs|ns|h|m|s)/gy;
  let total = 0;
  let consumed = 0;
  for (const match of trimmed.matchAll(pattern)) {
    if (match.index !== consumed) return undefined;
    total += Number(match[1]) * durationUnits[match[2]];
    consumed = match.index + match[0].length;
  }
  if (consumed !== trimmed.length) return undefined;
  return Math.ceil(total);
}

/**
 * Milliseconds from `now` until an RFC 3339 instant, as in Anthropic's
 * `anthropic-ratelimit-*-reset` headers; 0 when it is already past, undefined when unparseable.
 */
export function parseResetTimestampMs(text: string, now: number = Date.now()): number | undefined {
  const trimmed = text.trim();
  if (!/^\d{4}-\d{2}-\d{2}T/.test(trimmed)) return undefined;
  const instant = Date.parse(trimmed);
  if (Number.isNaN(instant)) return undefined;
  return Math.max(0, Math.ceil(instant - now));
}
