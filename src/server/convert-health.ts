/**
 * A health snapshot (src/dashboard/health-monitor.ts) to a WatchHealthResponse. Each deployment's stats
 * are converted exactly as GetDeploymentStats converts them, so both RPCs report the same numbers.
 */
import { create } from "@bufbuild/protobuf";
import { WatchHealthResponseSchema, type WatchHealthResponse } from "../../gen/modelgate/v1/gateway_service_pb.js";
import type { HealthSnapshot } from "../dashboard/health-monitor.js";
import { toDeploymentStatsResponse } from "./convert-catalog.js";
import { toProtoStrategy } from "./convert-route.js";

export function toWatchHealthResponse(snapshot: HealthSnapshot): WatchHealthResponse {
  const converted = toDeploymentStatsResponse(
    snapshot.deployments.map((entry) => entry.stats),
    snapshot.sharedState,
  );
  const statsByName = new Map(converted.stats.map((stats) => [stats.deployment, stats]));
  return create(WatchHealthResponseSchema, {
    timeUnixMs: BigInt(Math.round(snapshot.timeUnixMs)),
    sharedState: converted.sharedState,
    deployments: snapshot.deployments.map((entry) => ({
      stats: statsByName.get(entry.stats.deployment),
      attemptsPerSecond: entry.attemptsPerSecond,
      costPerRequestMicroUsd: entry.costPerRequestMicroUsd,
    })),
    aliases: snapshot.aliases.map((alias) => ({
      alias: alias.alias,
      strategy: toProtoStrategy(alias.strategy),
      tiers: alias.tiers.map((tier) => ({ deployments: tier })),
      shadowDeployment: alias.shadow?.deployment ?? "",
      shadowShare: alias.shadow?.share ?? 0,
    })),
    recentFallbacks: snapshot.recentFallbacks.map((fallback) => ({
      timeUnixMs: BigInt(Math.round(fallback.timeUnixMs)),
      requestedModel: fallback.requestedModel,
      fromDeployment: fallback.fromDeployment,
      toDeployment: fallback.toDeployment,
      reason: fallback.reason,
    })),
  });
}
