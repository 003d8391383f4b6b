/**
 * Where runs are recorded: one log per key (a caller's request id, or an exact-cache entry), written by
 * the one replica that runs it and read by everyone who asks for the same key. In memory
 * (`memory-run-log.ts`) for one replica; in Redis (`redis-run-log.ts`, a Redis Stream per run) for
 * several.
 *
 * A log is: claimed, then entries at positions 1, 2, … (stream events, or a unary result), the last of
 * them terminal (a stream's finish, a result, or an error). A run that ended in an error is kept only for
 * resumes: a new call with its key runs again.
 */
import type { GatewayError, GatewayEvent, GatewayResult } from "../gateway/types.js";

/** An error as stored: enough to throw the same GatewayError again on another replica. */
export interface StoredError {
  reason: GatewayError["reason"];
  message: string;
  retryAfterMs?: number;
  metadata: Record<string, string>;
  failure?: GatewayError["failure"];
}

export type RunEntry = { kind: "event"; event: GatewayEvent } | { kind: "result"; result: GatewayResult } | { kind: "error"; error: StoredError };

/**
 * What a claim found: `claimed` (the caller runs it now), `running` / `done` / `failed` (read it),
 * `conflict` (the key holds another request), `missing` (a resume of nothing), `lost` (a resume of a
 * run whose replica went away before it ended).
 */
export type ClaimOutcome = "claimed" | "running" | "done" | "failed" | "conflict" | "missing" | "lost";

export interface RunLog {
  /** `run`: claims the key unless a run with it is running or done. `resume`: only looks. */
  claim(key: string, fingerprint: string, mode: "run" | "resume", ttlMs: number): Promise<ClaimOutcome>;
  /** Adds a non-terminal entry of a run this replica claimed. Sent in the background. */
  append(key: string, position: number, entry: RunEntry): void;
  /** Adds the terminal entry; `kept` false means the run failed (kept for resumes only). */
  end(key: string, position: number, entry: RunEntry, ttlMs: number): Promise<void>;
  /**
   * The entries after `after`, waiting for new ones until a terminal entry. Throws RESUME_NOT_FOUND when
   * entries after `after` are gone, RUN_LOST when the run stopped without a terminal entry.
   */
  read(key: string, after: number, signal: AbortSignal): AsyncGenerator<{ position: number; entry: RunEntry }, void, undefined>;
  /**
   * Marks this replica as reading a run that another replica may be running, until the returned function
   * is called, so that replica does not cancel it as unread. Absent where runs never leave the replica.
   */
  attend?(key: string): () => void;
  /**
   * How much longer (ms) readers on other replicas are known to read the run: 0 when none are. Never
   * rejects (a store failure is 0: their readers cannot be served then either). Absent where runs never
   * leave the replica.
   */
  readersElsewhere?(key: string): Promise<number>;
  close(): Promise<void>;
}

export function isTerminal(entry: RunEntry): boolean {
  return entry.kind !== "event" || entry.event.type === "finish";
}
