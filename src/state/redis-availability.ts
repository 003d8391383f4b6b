/**
 * Whether this replica is using Redis right now. A failed or timed-out command marks Redis down: from
 * then on the store serves every call from this replica's memory, so no request waits on a Redis that
 * does not answer. Redis is tried again when the connection reports ready, or `retryAfterMs` after the
 * last failure (a Redis that is slow but connected never reports anything). Each change is logged once.
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

export function createRedisAvailability(options: { logger: Logger; now: () => number; retryAfterMs: number }): RedisAvailability {
  const { logger, now, retryAfterMs } = options;
  let down = false;
  let retryAt = 0;
  const listeners: ((status: SharedStateStatus) => void)[] = [];
  const notify = (status: SharedStateStatus): void => {
    for (const listener of listeners) listener(status);
  };
  return {
    usable: () => !down || now() >= retryAt,
    failed(error) {
      retryAt = now() + retryAfterMs;
      if (down) return;
      down = true;
      const message = error instanceof Error ? error.message : String(error);
      logger.warn({ err: message }, "Redis unreachable: breakers, routing inputs and stats are this replica's own until it answers again");
      notify("local");
    },
    succeeded() {
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
