/**
 * Whether this process uses Redis right now: one view shared by every Redis user of the process (shared
 * state, replay runs, caller keys and limits), so a Redis that hangs costs a request at most one command
 * timeout, not one per feature. A failed command (connection refused or closed) marks Redis down at once;
 * timeouts do after `timeoutsBeforeDown` in a row, because one late answer under a burst (a busy event
 * loop) is not an outage. While down every user serves from this replica's memory. Redis is tried again
 * when the connection reports ready, or `retryAfterMs` after the last failure (a Redis that is slow but
 * connected never reports anything). Each change is logged once.
 */
import type { Logger } from "pino";

export type SharedStateStatus = "shared" | "local";

export interface RedisAvailability {
  /** Use Redis for this call. */
  usable(): boolean;
  /** A command failed: fall back to memory. */
  failed(error: unknown): void;
  /** A command succeeded, or the connection is ready again. */
  succeeded(): void;
  status(): SharedStateStatus;
  /** Called on each change (to drop local copies that went stale while apart). */
  onChange(listener: (status: SharedStateStatus) => void): void;
}

/** Timeouts in a row that mark Redis down. */
const TIMEOUTS_BEFORE_DOWN = 3;

export function isTimeout(error: unknown): boolean {
  return error instanceof Error && /did not answer within|timed? ?out/i.test(error.message);
}

export function createRedisAvailability(options: { logger: Logger; now: () => number; retryAfterMs: number }): RedisAvailability {
  const { logger, now, retryAfterMs } = options;
  let down = false;
  let retryAt = 0;
  let timeoutsInARow = 0;
  const listeners: ((status: SharedStateStatus) => void)[] = [];
  const notify = (status: SharedStateStatus): void => {
    for (const listener of listeners) listener(status);
  };
  return {
    usable: () => !down || now() >= retryAt,
    failed(error) {
      if (!down && isTimeout(error) && ++timeoutsInARow < TIMEOUTS_BEFORE_DOWN) return;
      retryAt = now() + retryAfterMs;
      if (down) return;
      down = true;
      const message = error instanceof Error ? error.message : String(error);
      logger.warn({ err: message }, "Redis unreachable: breakers, routing inputs and stats are this replica's own until it answers again");
      notify("local");
    },
    succeeded() {
      timeoutsInARow = 0;
      if (!down) return;
      down = false;
      logger.info("Redis answers again: state is shared with the other replicas");
      notify("shared");
    },
    status: () => (down ? "local" : "shared"),
    onChange(listener) {
      listeners.push(listener);
    },
  };
}
