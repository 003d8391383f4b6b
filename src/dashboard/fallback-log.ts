/**
 * The latest fallbacks this replica saw, for the dashboard: a small ring (newest first), fed by
 * `recordFallbacks`, which wraps the engine the server calls. Memory stays bounded whatever the
 * traffic: a full ring drops its oldest entry.
 */
import type { CompletionEngine, ErrorReason, GatewayEvent, RouteRecord } from "../gateway/types.js";
import { GatewayError } from "../gateway/types.js";

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
 * Wraps `engine` so every fallback reaches `log`: a stream's `fallback` events as they happen, and for
 * a unary call the moves its route record shows (a failed attempt followed by another deployment's),
 * whether the call succeeded or failed. Put it inside the replay layer, so a replayed or cached answer
 * is not counted again. Everything else passes through untouched.
 */
export function recordFallbacks(engine: CompletionEngine, log: FallbackLog, now: () => number = Date.now): CompletionEngine {
  const fromRoute = (route: RouteRecord): void => {
    if (route.source !== undefined && route.source !== "upstream") return;
    const timeUnixMs = now();
    for (let index = 1; index < route.attempts.length; index++) {
      const failed = route.attempts[index - 1];
      const next = route.attempts[index];
      if (failed.outcome === "succeeded" || failed.deployment === next.deployment) continue;
      log.record({
        timeUnixMs,
        requestedModel: route.requestedModel,
        fromDeployment: failed.deployment,
        toDeployment: next.deployment,
        reason: failed.reason ?? "PROVIDER_UNAVAILABLE",
      });
    }
  };

  async function* stream(...args: Parameters<CompletionEngine["stream"]>): AsyncGenerator<GatewayEvent, void, undefined> {
    const [request] = args;
    for await (const event of engine.stream(...args)) {
      if (event.type === "fallback") {
        log.record({ timeUnixMs: now(), requestedModel: request.model, fromDeployment: event.fromDeployment, toDeployment: event.toDeployment, reason: event.reason });
      }
      yield event;
    }
  }

  return {
    async complete(request, context) {
      try {
        const result = await engine.complete(request, context);
        fromRoute(result.route);
        return result;
      } catch (error) {
        if (error instanceof GatewayError && error.failure !== undefined) fromRoute(error.failure.route);
        throw error;
      }
    },
    stream,
    listModels: () => engine.listModels(),
    deploymentStats: (names) => engine.deploymentStats(names),
    close: () => engine.close(),
  };
}
