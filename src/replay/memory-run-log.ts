/**
 * Runs kept in this replica's memory: all of them without Redis, and the ones it runs itself with Redis
 * (their readers here never wait on Redis). At most `maxRuns`: the oldest finished run goes first; a
 * running run is never dropped. Each run keeps its newest `maxEvents` entries.
 */
import { GatewayError } from "../gateway/types.js";
import { isTerminal, type ClaimOutcome, type RunEntry, type RunLog } from "./run-log.js";

interface MemoryRun {
  fingerprint: string;
  state: "running" | "done" | "failed";
  /** Entries from position `first` on. */
  entries: RunEntry[];
  first: number;
  expiresAt: number;
  wake: Set<() => void>;
}

export interface MemoryRunLog extends RunLog {
  /** Records a run claimed elsewhere (in Redis) as this replica's own. */
  adopt(key: string, fingerprint: string, ttlMs: number): void;
  has(key: string): boolean;
}

export function createMemoryRunLog(options: { maxRuns: number; maxEvents: number; now?: () => number }): MemoryRunLog {
  const now = options.now ?? Date.now;
  const runs = new Map<string, MemoryRun>();

  const live = (key: string): MemoryRun | undefined => {
    const run = runs.get(key);
    if (run === undefined) return undefined;
    if (run.state !== "running" && run.expiresAt <= now()) {
      runs.delete(key);
      return undefined;
    }
    return run;
  };
  const makeRoom = (): void => {
    if (runs.size < options.maxRuns) return;
    for (const [key, run] of runs) {
      if (run.state !== "running") {
        runs.delete(key);
        if (runs.size < options.maxRuns) return;
      }
    }
  };
  const start = (key: string, fingerprint: string, ttlMs: number): void => {
    runs.delete(key);
    makeRoom();
    runs.set(key, { fingerprint, state: "running", entries: [], first: 1, expiresAt: now() + ttlMs, wake: new Set() });
  };
  const add = (run: MemoryRun, position: number, entry: RunEntry): void => {
    if (position !== run.first + run.entries.length) return;
    run.entries.push(entry);
    if (run.entries.length > options.maxEvents) {
      run.entries.shift();
      run.first++;
    }
    for (const wake of run.wake) wake();
  };

  return {
    async claim(key, fingerprint, mode, ttlMs): Promise<ClaimOutcome> {
      const run = live(key);
      if (run === undefined) {
        if (mode === "resume") return "missing";
        start(key, fingerprint, ttlMs);
        return "claimed";
      }
      if (run.fingerprint !== fingerprint && (run.state !== "failed" || mode === "resume")) return "conflict";
      if (run.state === "running" || run.state === "done" || mode === "resume") return run.state;
      start(key, fingerprint, ttlMs);
      return "claimed";
    },
    adopt: start,
    has: (key) => live(key) !== undefined,
    append(key, position, entry) {
      const run = runs.get(key);
      if (run !== undefined) add(run, position, entry);
    },
    async end(key, position, entry, ttlMs) {
      const run = runs.get(key);
      if (run === undefined) return;
      run.state = entry.kind === "error" ? "failed" : "done";
      run.expiresAt = now() + ttlMs;
      add(run, position, entry);
      // Refresh its place: the newest finished run is the last to be dropped.
      runs.delete(key);
      runs.set(key, run);
    },
    async *read(key, after, signal) {
      let next = after + 1;
      // One abort listener for the whole read, not one per wait: a stream waits once per event.
      let wake: (() => void) | undefined;
      const onAbort = (): void => wake?.();
      signal.addEventListener("abort", onAbort, { once: true });
      try {
        for (;;) {
          const run = live(key);
          if (run === undefined) throw new GatewayError("RESUME_NOT_FOUND", "no stored run for this request id (never run, or expired)");
          if (next < run.first) throw new GatewayError("RESUME_NOT_FOUND", `events before position ${run.first} are no longer kept`);
          while (next < run.first + run.entries.length) {
            const entry = run.entries[next - run.first];
            yield { position: next, entry };
            next++;
            if (isTerminal(entry)) return;
          }
          if (run.state !== "running") throw new GatewayError("RUN_LOST", "the run ended without a final event");
          signal.throwIfAborted();
          await new Promise<void>((resolve) => {
            const done = (): void => {
              run.wake.delete(done);
              wake = undefined;
              resolve();
            };
            wake = done;
            run.wake.add(done);
          });
        }
      } finally {
        signal.removeEventListener("abort", onAbort);
      }
    },
    async close() {
      runs.clear();
    },
  };
}
