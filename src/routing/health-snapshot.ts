/**
 * What `plan()` knows about the deployments' recent behaviour: breaker states, latency and TTFT
 * summaries, in-flight counts and error rates, read from the stats once per request so that planning
 * itself stays a pure function.
 */
import type { BreakerState } from "../state/state-store.js";
import type { LatencySummary } from "../stats/latency-window.js";

export interface DeploymentHealth {
  breaker: { state: BreakerState; retryAt?: number };
  /** Whole-attempt latency (unary). */
  latency: LatencySummary;
  /** Time to first content (streams). */
  timeToFirstToken: LatencySummary;
  inFlight: number;
  /** Failures ÷ attempts over the recent window (0 with no attempts). */
  errorRate: number;
}

export interface HealthSnapshot {
  /** When the snapshot was taken (engine clock). */
  now: number;
  deployments: ReadonlyMap<string, DeploymentHealth>;
}

/** How a deployment with no recorded history looks: closed, no samples, idle. */
export const UNKNOWN_HEALTH: DeploymentHealth = {
  breaker: { state: "closed" },
  latency: { samples: 0 },
  timeToFirstToken: { samples: 0 },
  inFlight: 0,
  errorRate: 0,
};

export function healthOf(snapshot: HealthSnapshot, deployment: string): DeploymentHealth {
  return snapshot.deployments.get(deployment) ?? UNKNOWN_HEALTH;
}
