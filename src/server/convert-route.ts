/**
 * Gateway accounting types (usage, route, timings, warnings) to their protobuf messages. Shared by the
 * response converters and by `to-connect-error.ts`, which attaches a route and partial usage to
 * every failed completion as `FailureDetails`.
 */
import { create } from "@bufbuild/protobuf";
import {
  AnswerSource as ProtoAnswerSource,
  AttemptOutcome,
  AttemptSchema,
  RouteRecordSchema,
  RoutingStrategy,
  TimingsSchema,
  UsageSchema,
  type Attempt,
  type RouteRecord,
  type Timings,
  type Usage,
} from "../../gen/modelgate/v1/routing_pb.js";
import { WarningSchema, type Warning } from "../../gen/modelgate/v1/content_pb.js";
import type {
  AnswerSource,
  AttemptOutcome as GatewayAttemptOutcome,
  AttemptRecord,
  GatewayWarning,
  RouteRecord as GatewayRouteRecord,
  RoutingStrategy as GatewayRoutingStrategy,
  Timings as GatewayTimings,
} from "../gateway/types.js";
import type { Usage as GatewayUsage } from "../providers/spec.js";

const strategies: Record<GatewayRoutingStrategy, RoutingStrategy> = {
  priority: RoutingStrategy.PRIORITY,
  cost: RoutingStrategy.COST,
  latency: RoutingStrategy.LATENCY,
  weighted: RoutingStrategy.WEIGHTED,
  "least-busy": RoutingStrategy.LEAST_BUSY,
  "cost-under-latency-slo": RoutingStrategy.COST_UNDER_LATENCY_SLO,
};

const outcomes: Record<GatewayAttemptOutcome, AttemptOutcome> = {
  succeeded: AttemptOutcome.SUCCEEDED,
  failed: AttemptOutcome.FAILED,
  interrupted: AttemptOutcome.INTERRUPTED,
  canceled: AttemptOutcome.CANCELED,
};

/** The proto enum for a strategy name. */
export function toProtoStrategy(strategy: GatewayRoutingStrategy): RoutingStrategy {
  return strategies[strategy];
}

/** The strategy name for a proto enum value; undefined for UNSPECIFIED (the alias decides). */
export function fromProtoStrategy(strategy: RoutingStrategy): GatewayRoutingStrategy | undefined {
  for (const [name, value] of Object.entries(strategies)) {
    if (value === strategy) return name as GatewayRoutingStrategy;
  }
  return undefined;
}

/** Usage with absent counts left absent (unknown is not zero). */
export function toProtoUsage(usage: GatewayUsage, partial = false): Usage {
  return create(UsageSchema, {
    inputTokens: usage.inputTokens,
    cachedInputTokens: usage.cachedInputTokens,
    cacheWriteInputTokens: usage.cacheWriteInputTokens,
    outputTokens: usage.outputTokens,
    reasoningTokens: usage.reasoningTokens,
    partial,
  });
}

/** Micro-USD as the proto's int64, absent when unknown. */
export function toProtoCost(costMicroUsd: number | undefined): bigint | undefined {
  return costMicroUsd === undefined ? undefined : BigInt(Math.round(costMicroUsd));
}

function toProtoAttempt(attempt: AttemptRecord): Attempt {
  return create(AttemptSchema, {
    deployment: attempt.deployment,
    provider: attempt.provider,
    outcome: outcomes[attempt.outcome],
    reason: attempt.reason ?? "",
    latencyMs: Math.max(0, Math.round(attempt.latencyMs)),
    timeToFirstTokenMs:
      attempt.timeToFirstTokenMs === undefined ? undefined : Math.max(0, Math.round(attempt.timeToFirstTokenMs)),
    usage: attempt.usage ? toProtoUsage(attempt.usage) : undefined,
    costMicroUsd: toProtoCost(attempt.costMicroUsd),
    retry: attempt.retry,
  });
}

const answerSources: Record<AnswerSource, ProtoAnswerSource> = {
  upstream: ProtoAnswerSource.UPSTREAM,
  "idempotent-replay": ProtoAnswerSource.IDEMPOTENT_REPLAY,
  cache: ProtoAnswerSource.CACHE,
};

/** The route record: requested model, strategy, the serving deployment and every attempt. */
export function toProtoRoute(route: GatewayRouteRecord): RouteRecord {
  return create(RouteRecordSchema, {
    requestedModel: route.requestedModel,
    strategy: toProtoStrategy(route.strategy),
    deployment: route.deployment ?? "",
    provider: route.provider ?? "",
    vendorModel: route.vendorModel ?? "",
    attempts: route.attempts.map(toProtoAttempt),
    source: answerSources[route.source ?? "upstream"],
    savedCostMicroUsd: toProtoCost(route.savedCostMicroUsd),
  });
}

/** Gateway-measured timings in whole milliseconds. */
export function toProtoTimings(timings: GatewayTimings): Timings {
  return create(TimingsSchema, {
    timeToFirstTokenMs:
      timings.timeToFirstTokenMs === undefined ? undefined : Math.max(0, Math.round(timings.timeToFirstTokenMs)),
    totalMs: Math.max(0, Math.round(timings.totalMs)),
  });
}

/** Settings a vendor could not honour exactly. */
export function toProtoWarning(warning: GatewayWarning): Warning {
  return create(WarningSchema, {
    code: warning.code,
    message: warning.message,
    deployment: warning.deployment ?? "",
  });
}
