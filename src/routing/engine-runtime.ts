/**
 * Everything an execution needs, built once by `createGatewayEngine` and shared by every request:
 * the route table, adapters, policies, clock, random source, breakers, stats, retry budget.
 */
import type { Logger } from "pino";
import type { RetryConfig } from "../config/schema.js";
import type { ProviderAdapter } from "../providers/spec.js";
import type { CircuitBreaker } from "../resilience/circuit-breaker.js";
import type { Clock } from "../resilience/clock.js";
import type { RetryBudget } from "../resilience/retry-budget.js";
import type { DeploymentStats } from "../stats/deployment-stats.js";
import type { RouteTable } from "./route-table.js";
import type { ShadowRunner } from "./shadow.js";

export interface EngineRuntime {
  routes: RouteTable;
  /** By provider name. */
  adapters: ReadonlyMap<string, ProviderAdapter>;
  retry: RetryConfig;
  clock: Clock;
  random: () => number;
  logger: Logger;
  breakerFor(deployment: string): CircuitBreaker;
  stats: DeploymentStats;
  budget: RetryBudget;
  shadow: ShadowRunner;
}
