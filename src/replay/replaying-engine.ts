/**
 * Requests answered once, as one layer around the engine (every edge goes through it):
 * - **Idempotency.** A request id the caller gave (scoped to the caller) names one run; a request whose
 *   id the server generated cannot be repeated, so it goes straight to the engine (through the cache
 *   when that applies). The first call claims the id and starts the run (`local-runs.ts`); every call
 *   with the id, the first included, reads the run's log. A duplicate while it runs, on any replica,
 *   joins it from the start (and is one more reader); after it finished it is answered from the log for
 *   `replay.ttlMs` (route source IDEMPOTENT_REPLAY). The same id with a different request is
 *   REQUEST_ID_REUSED. A run that failed is kept only for resumes: a new call with its id runs again.
 * - **Resumable streams.** Every event carries its position; a call with `resumeAfterPosition` reads
 *   the log after it, then the same terminal status. A run whose readers all left before it ended is
 *   cancelled after `replay.keepDetachedRunsMs` (0: at once) unless one comes back, so a client's
 *   cancel reaches the vendor; a resume after a dropped connection needs that time to be above 0.
 * - **Exact cache** (opt-in per alias or request): a run's source is a cache entry, itself a run (with
 *   readers) keyed by the normalised request, so identical concurrent requests share one upstream call.
 *   A hit costs nothing (route source CACHE, the original cost as saved).
 * Counts of hits, misses and replays go to the state store, per serving deployment, for
 * GetDeploymentStats.
 */
import type { Logger } from "pino";
import type { ReplayConfig } from "../config/schema.js";
import {
  GatewayError,
  type CallContext,
  type CompletionEngine,
  type GatewayEvent,
  type GatewayRequest,
  type GatewayResult,
  type RouteRecord,
} from "../gateway/types.js";
import { openOnFirstRead } from "../gateway/open-on-first-read.js";
import type { StateStore } from "../state/state-store.js";
import { cacheKey, requestFingerprint, sha256 } from "./request-fingerprint.js";
import { createLocalRuns } from "./local-runs.js";
import { isTerminal, type ClaimOutcome, type RunEntry, type RunLog, type StoredError } from "./run-log.js";

export interface ReplayingEngineOptions {
  log: RunLog;
  /** Read on every call, so a config reload applies to the next call. */
  config: () => ReplayConfig;
  /** Where hit, miss and replay counts go. */
  store: StateStore;
  logger: Logger;
  now?: () => number;
}

type Kind = "complete" | "stream";

/** The caller's scope: whatever caller authentication put on the request scope ("" without it). */
function callerScope(context: CallContext): string {
  const caller = (context as { caller?: unknown }).caller;
  if (caller === undefined || caller === null) return "";
  const id = (caller as { id?: unknown }).id;
  return typeof id === "string" ? `caller:${id}` : `caller:${JSON.stringify(caller)}`;
}

function storeError(error: unknown): StoredError {
  if (error instanceof GatewayError) {
    return { reason: error.reason, message: error.message, retryAfterMs: error.retryAfterMs, metadata: error.metadata, failure: error.failure };
  }
  return { reason: "INTERNAL", message: "internal error", metadata: {} };
}

function restoreError(stored: StoredError): GatewayError {
  return new GatewayError(stored.reason, stored.message, { retryAfterMs: stored.retryAfterMs, metadata: stored.metadata, failure: stored.failure });
}

function refuse(outcome: ClaimOutcome): void {
  if (outcome === "conflict") {
    throw new GatewayError("REQUEST_ID_REUSED", "this request id was already used with a different request; use a new request id");
  }
  if (outcome === "missing") throw new GatewayError("RESUME_NOT_FOUND", "no stored stream for this request id (never run, or expired)");
  if (outcome === "lost") {
    throw new GatewayError("RUN_LOST", "the replica running this request went away before it finished; call again without a resume position to run it anew");
  }
}

const marked = (route: RouteRecord, source: RouteRecord["source"]): RouteRecord => ({ ...route, source });

export function createReplayingEngine(engine: CompletionEngine, options: ReplayingEngineOptions): CompletionEngine {
  const { log, store, logger } = options;
  const runs = createLocalRuns({ log, keepDetachedRunsMs: () => options.config().keepDetachedRunsMs, now: options.now ?? Date.now });

  function count(what: "cache-hits" | "cache-misses" | "replays" | "saved-cost", deployment: string | undefined, by = 1): void {
    if (deployment !== undefined && by > 0) store.addToCounter(`replay:${what}:{${deployment}}`, by);
  }

  function cachePolicy(kind: Kind, request: GatewayRequest, context: CallContext): { key: string; ttlMs: number } | undefined {
    if (request.cache === false) return undefined;
    const config = options.config().cache;
    const alias = config.aliases[request.model];
    if (request.cache !== true && alias?.enabled !== true) return undefined;
    if (request.sampling.temperature !== 0 && alias?.allowNonDeterministic !== true) return undefined;
    const scope = alias?.shareAcrossCallers === true ? "" : callerScope(context);
    return { key: `cache:${cacheKey(kind, request, scope)}`, ttlMs: alias?.ttlMs ?? config.ttlMs };
  }

  /** A cache hit's answer: billed nothing, the original cost reported as saved. */
  function asHit<T extends { costMicroUsd?: number; route: RouteRecord }>(answer: T): T {
    count("cache-hits", answer.route.deployment);
    count("saved-cost", answer.route.deployment, Math.round(answer.costMicroUsd ?? 0));
    return { ...answer, costMicroUsd: 0, route: { ...marked(answer.route, "cache"), savedCostMicroUsd: answer.costMicroUsd } };
  }

  /**
   * The entries of `key` after `after`, read as one of the run's readers (the run stops when the last
   * leaves before its end); an error entry is thrown. `running`: the claim found the run running.
   */
  async function* entries(
    key: string,
    after: number,
    context: CallContext,
    running: boolean,
  ): AsyncGenerator<{ position: number; entry: Exclude<RunEntry, { kind: "error" }> }> {
    const leave = runs.attend(key, running);
    let ended = false;
    try {
      for await (const item of log.read(key, after, context.signal)) {
        context.signal.throwIfAborted();
        ended = isTerminal(item.entry);
        if (item.entry.kind === "error") throw restoreError(item.entry.error);
        yield { position: item.position, entry: item.entry };
      }
    } finally {
      leave({ reason: context.signal.aborted ? context.signal.reason : undefined, ended });
    }
  }

  /**
   * Runs a claimed stream into the log of `key`, each event written as it comes; the finish (or the
   * error) ends it. Never rejects.
   */
  async function runStream(key: string, ttlMs: number, events: AsyncIterable<GatewayEvent>, requestId: string): Promise<void> {
    let position = 0;
    try {
      for await (const event of events) {
        const entry: RunEntry = { kind: "event", event: { ...event, position: undefined } };
        if (event.type === "finish") {
          await log.end(key, ++position, entry, ttlMs);
          return;
        }
        log.append(key, ++position, entry);
      }
      throw new GatewayError("INTERNAL", "the stream ended without a finish event");
    } catch (error) {
      if (!(error instanceof GatewayError)) logger.error({ err: error, requestId }, "a recorded stream failed unexpectedly");
      await log.end(key, ++position, { kind: "error", error: storeError(error) }, ttlMs).catch((endError: unknown) => {
        if (!(endError instanceof GatewayError)) logger.error({ err: endError, requestId }, "a recorded stream's end could not be stored");
      });
    }
  }

  /** Runs a claimed unary call into the log of `key`; never rejects. */
  async function runComplete(key: string, ttlMs: number, answer: () => Promise<GatewayResult>, requestId: string): Promise<void> {
    try {
      const result = await answer();
      await log.end(key, 1, { kind: "result", result }, ttlMs);
    } catch (error) {
      if (!(error instanceof GatewayError)) logger.error({ err: error, requestId }, "a recorded call failed unexpectedly");
      await log.end(key, 1, { kind: "error", error: storeError(error) }, ttlMs).catch(() => {});
    }
  }

  /**
   * Claims a cache entry: what to read it as, or undefined when the call goes to the engine instead. The
   * entry may be shared between callers, so only an admitted call may start (and so end) its run.
   */
  async function claimCacheEntry(cache: { key: string; ttlMs: number }, context: CallContext): Promise<"claimed" | "running" | "done" | undefined> {
    await context.admitted;
    const outcome = await log.claim(cache.key, cache.key, "run", cache.ttlMs);
    return outcome === "claimed" || outcome === "running" || outcome === "done" ? outcome : undefined;
  }

  /**
   * A stream's events: from the cache entry when the cache applies (its first caller runs it), else from
   * the engine, read directly (no layer per event when there is no cache).
   */
  function streamSource(request: GatewayRequest, context: CallContext): AsyncIterable<GatewayEvent> {
    const cache = cachePolicy("stream", request, context);
    return cache === undefined ? engine.stream(request, context) : cachedStream(cache, request, context);
  }

  async function* cachedStream(cache: { key: string; ttlMs: number }, request: GatewayRequest, context: CallContext): AsyncGenerator<GatewayEvent, void, undefined> {
    const outcome = await claimCacheEntry(cache, context);
    if (outcome === undefined) {
      yield* engine.stream(request, context);
      return;
    }
    if (outcome === "claimed") {
      runs.start(cache.key, context, (detached) => runStream(cache.key, cache.ttlMs, countingMisses(engine.stream(request, detached)), request.requestId));
    }
    for await (const { entry } of entries(cache.key, 0, context, outcome === "running")) {
      if (entry.kind !== "event") throw new GatewayError("INTERNAL", "a cached stream holds a unary answer");
      yield outcome !== "claimed" && entry.event.type === "finish" ? asHit(entry.event) : entry.event;
    }
  }

  async function* countingMisses(events: AsyncIterable<GatewayEvent>): AsyncGenerator<GatewayEvent, void, undefined> {
    for await (const event of events) {
      if (event.type === "finish") count("cache-misses", event.route.deployment);
      yield event;
    }
  }

  async function completeSource(request: GatewayRequest, context: CallContext): Promise<GatewayResult> {
    const cache = cachePolicy("complete", request, context);
    const outcome = cache === undefined ? undefined : await claimCacheEntry(cache, context);
    if (cache === undefined || outcome === undefined) return engine.complete(request, context);
    if (outcome === "claimed") {
      const answer = async (detached: CallContext): Promise<GatewayResult> => {
        const result = await engine.complete(request, detached);
        count("cache-misses", result.route.deployment);
        return result;
      };
      runs.start(cache.key, context, (detached) => runComplete(cache.key, cache.ttlMs, () => answer(detached), request.requestId));
    }
    for await (const { entry } of entries(cache.key, 0, context, outcome === "running")) {
      if (entry.kind === "result") return outcome === "claimed" ? entry.result : asHit(entry.result);
    }
    throw new GatewayError("INTERNAL", "a cached answer holds a stream");
  }

  /** Claims the request id's run: starts it when this call is the first, refuses what cannot be served. */
  async function claim(
    kind: Kind,
    request: GatewayRequest,
    context: CallContext,
    resume: boolean,
  ): Promise<{ key: string; replay: boolean; running: boolean }> {
    const ttlMs = options.config().ttlMs;
    const key = `id:${sha256(`${callerScope(context)}\n${request.requestId}`)}`;
    const outcome = await log.claim(key, requestFingerprint(kind, request), resume ? "resume" : "run", ttlMs);
    refuse(outcome);
    if (outcome === "claimed") {
      if (kind === "stream") runs.start(key, context, (detached) => runStream(key, ttlMs, streamSource(request, detached), request.requestId));
      else runs.start(key, context, (detached) => runComplete(key, ttlMs, () => completeSource(request, detached), request.requestId));
    }
    return { key, replay: outcome !== "claimed" && !resume, running: outcome === "running" };
  }

  /** Whether the request names a run: only an id the caller gave can be sent twice or resumed. */
  const namesRun = (request: GatewayRequest): boolean => options.config().enabled && request.requestIdFromCaller === true;

  /** The events of the run the request's id names (started by this call when it is the first), from its log. */
  async function* runStreamOf(request: GatewayRequest, context: CallContext): AsyncGenerator<GatewayEvent, void, undefined> {
    const resume = request.resumeAfterPosition !== undefined;
    const { key, replay, running } = await claim("stream", request, context, resume);
    for await (const { position, entry } of entries(key, request.resumeAfterPosition ?? 0, context, running)) {
      if (entry.kind !== "event") throw new GatewayError("INTERNAL", "this request id holds a unary answer, not a stream");
      let event = entry.event;
      if (replay && event.type === "finish") {
        count("replays", event.route.deployment);
        event = { ...event, route: marked(event.route, "idempotent-replay") };
      }
      yield { ...event, position };
    }
  }

  async function* numbered(events: AsyncIterable<GatewayEvent>): AsyncGenerator<GatewayEvent, void, undefined> {
    let position = 0;
    for await (const event of events) yield { ...event, position: ++position };
  }

  return {
    async complete(request, context) {
      if (!namesRun(request)) return completeSource(request, context);
      const { key, replay, running } = await claim("complete", request, context, false);
      for await (const { entry } of entries(key, 0, context, running)) {
        if (entry.kind !== "result") break;
        if (!replay) return entry.result;
        count("replays", entry.result.route.deployment);
        return { ...entry.result, requestId: request.requestId, route: marked(entry.result.route, "idempotent-replay") };
      }
      throw new GatewayError("INTERNAL", "this request id holds a stream, not a unary answer");
    },
    stream(request, context) {
      return openOnFirstRead(() => {
        if (namesRun(request)) return runStreamOf(request, context);
        if (request.resumeAfterPosition !== undefined) {
          throw new GatewayError("RESUME_NOT_FOUND", "only a stream whose request id the caller gave (request_id or x-request-id) can be resumed");
        }
        return numbered(streamSource(request, context));
      });
    },
    listModels: () => engine.listModels(),
    async deploymentStats(names) {
      const views = await engine.deploymentStats(names);
      return Promise.all(
        views.map(async (view) => {
          const read = (what: string): Promise<number> => store.readCounter(`replay:${what}:{${view.deployment}}`);
          const [cacheHits, cacheMisses, idempotentReplays, savedCostMicroUsd] = await Promise.all([
            read("cache-hits"),
            read("cache-misses"),
            read("replays"),
            read("saved-cost"),
          ]);
          return { ...view, cacheHits, cacheMisses, idempotentReplays, savedCostMicroUsd };
        }),
      );
    },
    async close() {
      runs.cancelAll(new GatewayError("SHUTTING_DOWN", "the gateway is shutting down"));
      await engine.close();
      await log.close();
    },
  };
}
