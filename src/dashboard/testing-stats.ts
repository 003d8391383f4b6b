/** A deployment's stats for tests of the dashboard: every counter 0 and the breaker closed, unless given. */
import type { DeploymentStatsView } from "../gateway/types.js";

export function statsView(deployment: string, fields: Partial<DeploymentStatsView> = {}): DeploymentStatsView {
  return {
    deployment,
    attempts: 0,
    failures: 0,
    recentErrorRate: 0,
    inFlight: 0,
    latency: { samples: 0 },
    timeToFirstToken: { samples: 0 },
    inputTokens: 0,
    outputTokens: 0,
    costMicroUsd: 0,
    unpricedAttempts: 0,
    breakerState: "closed",
    shadowComparisons: 0,
    ...fields,
  };
}
