/**
 * The latest fallbacks this replica saw, for the dashboard: a small ring (newest first), fed from the
 * call records (`recordFallbacksOf`, called by the call recorder). Memory stays bounded whatever the
 * traffic: a full ring drops its oldest entry.
 */
import type { ErrorReason } from "../gateway/types.js";
import type { CallRecord } from "../observability/call-record.js";

/** One move from a failed deployment to the next. */
export interface FallbackEntry {
  timeUnixMs: number;
  /** What the caller asked for: an alias or a deployment name. */
  requestedModel: string;
  fromDeployment: string;
  toDeployment: string;
  reason: ErrorReason;
}

export interface FallbackLog {
  record(entry: FallbackEntry): void;
  /** Newest first. */
  recent(): FallbackEntry[];
}

/** The ring's default size: enough for a screen's list. */
export const DEFAULT_FALLBACK_CAPACITY = 20;

export function createFallbackLog(capacity: number = DEFAULT_FALLBACK_CAPACITY): FallbackLog {
  const entries: FallbackEntry[] = [];
  return {
    record(entry) {
      entries.push(entry);
      if (entries.length > capacity) entries.shift();
    },
    recent: () => entries.slice().reverse(),
  };
}

/**
 * The moves of one finished call (a failed attempt followed by another deployment's), whether it
 * succeeded or failed, from its call record: the call recorder hands every record here, so the log costs
 * the request path nothing. A replayed or cached answer is not counted again.
 */
export function recordFallbacksOf(record: Pick<CallRecord, "model" | "source" | "attempts">, log: FallbackLog, now: () => number = Date.now): void {
  if (record.source !== "upstream") return;
  let timeUnixMs: number | undefined;
  for (let index = 1; index < record.attempts.length; index++) {
    const failed = record.attempts[index - 1];
    const next = record.attempts[index];
    if (failed.outcome === "succeeded" || failed.deployment === next.deployment) continue;
    log.record({
      timeUnixMs: (timeUnixMs ??= now()),
      requestedModel: record.model ?? "",
      fromDeployment: failed.deployment,
      toDeployment: next.deployment,
      reason: failed.reason ?? "PROVIDER_UNAVAILABLE",
    });
  }
}
