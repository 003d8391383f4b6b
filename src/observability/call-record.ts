/**
 * The one record of a finished call, whichever edge it came through: who called, what was asked, how it
 * was routed (every attempt with its outcome and timings), what it used and cost, and how it ended. It
 * carries no prompt or completion text. The log line, the records file and the Prometheus metrics are
 * all made from it (call-recorder.ts), so they never disagree.
 */
import type { RequestScope } from "../gateway/request-scope.js";
import type { AnswerSource, AttemptRecord } from "../gateway/types.js";

export interface CallRecord {
  /** ISO time the call ended. */
  endedAt: string;
  requestId: string;
  /** "connect" (gRPC, gRPC-Web, Connect) or "openai" (the OpenAI-compatible routes). */
  edge: string;
  /** The RPC or route, e.g. "StreamComplete". */
  method: string;
  /** The model the caller asked for: an alias, a deployment or "provider/model". */
  model?: string;
  /** The deployment that served (or last tried). */
  deployment?: string;
  provider?: string;
  /** "OK", or the status name the caller saw ("UNAVAILABLE", ...). */
  status: string;
  /** The gateway's reason when it failed ("PROVIDER_TIMEOUT", ...). */
  reason?: string;
  /** The error message the caller saw (already free of secrets). */
  error?: string;
  latencyMs: number;
  timeToFirstTokenMs?: number;
  inputTokens?: number;
  outputTokens?: number;
  costMicroUsd?: number;
  /** Where the answer came from: upstream, a replay of an earlier run of the same request id, the cache. */
  source: AnswerSource;
  attempts: AttemptRecord[];
  caller?: { id: string; label?: string; team?: string; service?: string; environment?: string };
  tags?: string[];
  metadata?: Record<string, string>;
  /** PII replaced in the request before it left for a vendor: occurrences by type ("email": 2), never values. */
  redactions?: Record<string, number>;
}

export interface CallEnding {
  edge: string;
  status: string;
  reason?: string;
  error?: string;
  latencyMs: number;
  /** The route of a failed call (a GatewayError's), when the scope has none. */
  failedRoute?: RequestScope["outcome"]["route"];
}

/** The record of the call `scope` describes, ended as `ending` says. */
export function callRecordOf(scope: RequestScope, ending: CallEnding, now: Date = new Date()): CallRecord {
  const outcome = scope.outcome;
  const route = outcome.route ?? ending.failedRoute;
  const caller = scope.caller;
  return {
    endedAt: now.toISOString(),
    requestId: scope.requestId,
    edge: ending.edge,
    method: scope.method,
    model: outcome.model,
    deployment: outcome.deployment ?? route?.deployment,
    provider: outcome.provider ?? route?.provider,
    status: ending.status,
    reason: ending.reason,
    error: ending.error,
    latencyMs: Math.round(ending.latencyMs),
    timeToFirstTokenMs: outcome.timeToFirstTokenMs,
    inputTokens: outcome.usage?.inputTokens,
    outputTokens: outcome.usage?.outputTokens,
    costMicroUsd: outcome.costMicroUsd,
    source: route?.source ?? "upstream",
    attempts: route?.attempts ?? [],
    caller: caller === undefined ? undefined : { id: caller.id, label: caller.label, team: caller.team, service: caller.service, environment: caller.environment },
    tags: outcome.tags !== undefined && outcome.tags.length > 0 ? outcome.tags : undefined,
    metadata: outcome.metadata !== undefined && Object.keys(outcome.metadata).length > 0 ? outcome.metadata : undefined,
    redactions: outcome.redactions,
  };
}
