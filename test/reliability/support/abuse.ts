/**
 * The frame of every abuse test: a fresh gateway process (so one test's damage never reaches the next,
 * and its peak RSS is its own), the health prober running for the whole abuse, and afterwards the health
 * figures, the peak RSS and whether the gateway is still alive.
 */
import { describeHealth, startHealthProbe, type HealthSummary } from "./health-probe.js";
import { startGatewayProcess, type GatewayProcess } from "./gateway-process.js";
import { mib } from "./figures.js";
import { timingSlack } from "./timing-slack.js";

/** Health p99 bound while under abuse (issue 15). */
export const HEALTH_P99_BOUND_MS = 50 * timingSlack;
/** Peak RSS bound of a gateway under abuse, unless a test states its own. */
export const ABUSE_RSS_BOUND_MIB = 256;

export interface AbuseResult<T> {
  value: T;
  health: HealthSummary;
  peakRssMiB: number;
  /** RSS before the abuse began (after start-up and the prober's first Check). */
  startRssMiB: number;
  aliveAfter: boolean;
  gateway: GatewayProcess;
}

/**
 * Starts a gateway on `config`, probes its health while `abuse(gateway)` runs, and stops both. The
 * gateway is stopped with a short grace: an abused gateway that no longer answers SIGTERM is killed.
 */
export async function underAbuse<T>(name: string, config: Record<string, unknown>, abuse: (gateway: GatewayProcess) => Promise<T>): Promise<AbuseResult<T>> {
  const gateway = await startGatewayProcess(name, config);
  try {
    const probe = await startHealthProbe(gateway.url);
    const startRssMiB = gateway.rssMiB();
    let value: T;
    let health: HealthSummary;
    try {
      value = await abuse(gateway);
    } finally {
      health = await probe.stop();
    }
    return { value, health, peakRssMiB: gateway.peakRssMiB(), startRssMiB, aliveAfter: gateway.alive(), gateway };
  } finally {
    await gateway.stop(2_000);
  }
}

/**
 * What is wrong with a gateway after its abuse, one sentence per broken bound (empty when all hold):
 * dead, failed health Checks, health p99 over the bound, peak RSS over the bound.
 */
export function healthProblems(result: AbuseResult<unknown>): string[] {
  const problems: string[] = [];
  if (!result.aliveAfter) problems.push("the gateway died");
  if (result.health.failed > 0) problems.push(`${result.health.failed} health Checks failed`);
  if (result.health.p99Ms > HEALTH_P99_BOUND_MS) problems.push(`health p99 ${result.health.p99Ms.toFixed(1)} ms > ${HEALTH_P99_BOUND_MS} ms`);
  if (result.peakRssMiB > ABUSE_RSS_BOUND_MIB) problems.push(`peak RSS ${result.peakRssMiB.toFixed(1)} MiB > ${ABUSE_RSS_BOUND_MIB} MiB`);
  return problems;
}

/** "health p99 …; RSS 80.1 → peak 95.3 MiB" */
export function describeAbuse(result: AbuseResult<unknown>): string {
  return `${describeHealth(result.health)}, RSS ${result.startRssMiB.toFixed(1)} → peak ${mib(result.peakRssMiB)}${result.aliveAfter ? "" : ", gateway DIED"}`;
}
