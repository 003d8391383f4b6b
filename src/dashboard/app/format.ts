/**
 * Numbers as the dashboard shows them: short, with units, and "–" for a value that is not known
 * (never a made-up zero). Pure functions, tested in format.test.ts.
 */

export const UNKNOWN = "–";

/** 0.0123 → "1.2%"; 0 → "0%". */
export function formatPercent(share: number | undefined): string {
  if (share === undefined || !Number.isFinite(share)) return UNKNOWN;
  if (share === 0) return "0%";
  const percent = share * 100;
  return `${percent < 10 ? percent.toFixed(1) : Math.round(percent)}%`;
}

/** 12.3 → "12 ms", 1530 → "1.53 s". */
export function formatMs(ms: number | undefined): string {
  if (ms === undefined || !Number.isFinite(ms)) return UNKNOWN;
  if (ms < 1_000) return `${Math.round(ms)} ms`;
  return `${(ms / 1_000).toFixed(ms < 10_000 ? 2 : 1)} s`;
}

/** Requests per second: "0", "0.4", "12", "1.2k". */
export function formatRate(perSecond: number | undefined): string {
  if (perSecond === undefined || !Number.isFinite(perSecond)) return UNKNOWN;
  if (perSecond === 0) return "0";
  if (perSecond < 10) return perSecond.toFixed(1);
  if (perSecond < 1_000) return String(Math.round(perSecond));
  return `${(perSecond / 1_000).toFixed(1)}k`;
}

/** Micro-USD as dollars with enough digits to see a per-request cost: 237 → "$0.000237". */
export function formatMicroUsd(microUsd: number | undefined): string {
  if (microUsd === undefined || !Number.isFinite(microUsd)) return UNKNOWN;
  const dollars = microUsd / 1_000_000;
  if (dollars === 0) return "$0";
  if (dollars >= 1) return `$${dollars.toFixed(2)}`;
  if (dollars >= 0.01) return `$${dollars.toFixed(4)}`;
  return `$${dollars.toPrecision(3)}`;
}

/** How long ago, from two Unix-ms times: "now", "12 s ago", "3 min ago", "2 h ago". */
export function formatAgo(thenMs: number, nowMs: number): string {
  const seconds = Math.max(0, Math.round((nowMs - thenMs) / 1_000));
  if (seconds < 2) return "now";
  if (seconds < 60) return `${seconds} s ago`;
  const minutes = Math.round(seconds / 60);
  if (minutes < 60) return `${minutes} min ago`;
  return `${Math.round(minutes / 60)} h ago`;
}

/** An ErrorReason name as words: "PROVIDER_UNAVAILABLE" → "provider unavailable". */
export function formatReason(reason: string): string {
  return reason.toLowerCase().replaceAll("_", " ");
}

export type BreakerName = "closed" | "open" | "half-open" | "unknown";

/** Health at a glance, from the breaker and the recent error rate. */
export function healthTone(breaker: BreakerName, errorRate: number): "good" | "warn" | "bad" {
  if (breaker === "open") return "bad";
  if (breaker === "half-open" || errorRate >= 0.05) return "warn";
  return "good";
}
