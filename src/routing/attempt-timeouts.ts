/**
 * Per-attempt time limits cut to what is left of the caller's deadline: the caller's deadline covers
 * every retry and fallback (gRFC A6, Envoy), so no attempt may be given more time than remains.
 */
import type { TimeoutsConfig } from "../config/schema.js";
import type { AttemptTimeouts } from "../providers/spec.js";

/** `configured` capped at `deadlineAt − now` (at least 1 ms, so a value is always usable). */
export function computeAttemptTimeouts(configured: TimeoutsConfig, now: number, deadlineAt: number): AttemptTimeouts {
  const remaining = Math.max(1, deadlineAt - now);
  return {
    connectMs: Math.min(configured.connectMs, remaining),
    firstTokenMs: Math.min(configured.firstTokenMs, remaining),
    idleMs: Math.min(configured.idleMs, remaining),
    totalMs: Math.min(configured.totalMs, remaining),
  };
}
