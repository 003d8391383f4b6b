/**
 * The engine's model catalog and deployment stats to ListModels / GetDeploymentStats responses, sorted
 * by name as the contract promises.
 */
import { create } from "@bufbuild/protobuf";
import {
  GetDeploymentStatsResponseSchema,
  SharedState,
  ListModelsResponseSchema,
  type GetDeploymentStatsResponse,
  type ListModelsResponse,
} from "../../gen/modelgate/v1/gateway_service_pb.js";
import { BreakerState, LatencySummarySchema, type LatencySummary } from "../../gen/modelgate/v1/models_pb.js";
import type { DeploymentStatsView, LatencySummaryView, ModelCatalog, SharedStateStatus } from "../gateway/types.js";
import { toProtoStrategy } from "./convert-route.js";

const breakerStates: Record<DeploymentStatsView["breakerState"], BreakerState> = {
  closed: BreakerState.CLOSED,
  open: BreakerState.OPEN,
  "half-open": BreakerState.HALF_OPEN,
};

const byName = <T extends { name: string }>(left: T, right: T): number => left.name.localeCompare(right.name);

function count(value: number): bigint {
  return BigInt(Math.max(0, Math.round(value)));
}

function toLatency(summary: LatencySummaryView): LatencySummary {
  return create(LatencySummarySchema, { p50Ms: summary.p50Ms, p95Ms: summary.p95Ms, p99Ms: summary.p99Ms, ewmaMs: summary.ewmaMs, samples: summary.samples });
}

/** ListModels: aliases and deployments, each sorted by name. */
export function toListModelsResponse(catalog: ModelCatalog): ListModelsResponse {
  return create(ListModelsResponseSchema, {
    aliases: [...catalog.aliases].sort(byName).map((alias) => ({
      name: alias.name,
      strategy: toProtoStrategy(alias.strategy),
      tiers: alias.tiers.map((deployments) => ({ deployments })),
    })),
    deployments: [...catalog.deployments].sort(byName).map((deployment) => ({
      name: deployment.name,
      provider: deployment.provider,
      providerKind: deployment.providerKind,
      vendorModel: deployment.vendorModel,
      contextWindow: deployment.contextWindow,
      price: deployment.price
        ? {
            inputNanoUsd: BigInt(deployment.price.inputNanoUsd),
            cachedInputNanoUsd: BigInt(deployment.price.cachedInputNanoUsd),
            outputNanoUsd: BigInt(deployment.price.outputNanoUsd),
            asOf: deployment.price.asOf,
          }
        : undefined,
      capabilities: deployment.capabilities,
    })),
  });
}

/** GetDeploymentStats: one entry per deployment, sorted by name. */
const sharedStates: Record<SharedStateStatus, SharedState> = {
  memory: SharedState.MEMORY,
  shared: SharedState.REDIS,
  local: SharedState.LOCAL_FALLBACK,
};

export function toDeploymentStatsResponse(stats: DeploymentStatsView[], sharedState: SharedStateStatus): GetDeploymentStatsResponse {
  return create(GetDeploymentStatsResponseSchema, {
    sharedState: sharedStates[sharedState],
    stats: [...stats]
      .sort((left, right) => left.deployment.localeCompare(right.deployment))
      .map((entry) => ({
        deployment: entry.deployment,
        attempts: count(entry.attempts),
        failures: count(entry.failures),
        recentErrorRate: entry.recentErrorRate,
        inFlight: entry.inFlight,
        latency: toLatency(entry.latency),
        timeToFirstToken: toLatency(entry.timeToFirstToken),
        inputTokens: count(entry.inputTokens),
        outputTokens: count(entry.outputTokens),
        costMicroUsd: BigInt(Math.round(entry.costMicroUsd)),
        unpricedAttempts: count(entry.unpricedAttempts),
        breakerState: breakerStates[entry.breakerState],
        breakerRetryAtUnixMs: entry.breakerRetryAtUnixMs === undefined ? undefined : BigInt(Math.round(entry.breakerRetryAtUnixMs)),
        shadowComparisons: count(entry.shadowComparisons),
        shadowAgreement: entry.shadowAgreement,
        cacheHits: count(entry.cacheHits ?? 0),
        cacheMisses: count(entry.cacheMisses ?? 0),
        idempotentReplays: count(entry.idempotentReplays ?? 0),
        savedCostMicroUsd: BigInt(Math.round(entry.savedCostMicroUsd ?? 0)),
      })),
  });
}
