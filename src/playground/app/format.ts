/**
 * Pure formatting for the playground page: money, token counts, route attempts. No DOM here, so it is
 * unit-tested in Node. Absent values stay visibly absent ("unknown", "unpriced"), never a made-up zero.
 */
import { AttemptOutcome, RoutingStrategy, type RouteRecord, type Usage } from "../../../gen/modelgate/v1/routing_pb.js";

/** Micro-USD as dollars with six decimals ("$0.000032"), or "unpriced" when the gateway sent no cost. */
export function formatMicroUsd(costMicroUsd: bigint | undefined): string {
  if (costMicroUsd === undefined) return "unpriced";
  const negative = costMicroUsd < 0n;
  const magnitude = negative ? -costMicroUsd : costMicroUsd;
  const dollars = magnitude / 1_000_000n;
  const micros = (magnitude % 1_000_000n).toString().padStart(6, "0");
  return `${negative ? "-" : ""}$${dollars}.${micros}`;
}

/** The token counts as label/value pairs, in a fixed order; counts the gateway did not send read "unknown". */
export function usageRows(usage: Usage | undefined): [label: string, value: string][] {
  const show = (count: number | undefined): string => (count === undefined ? "unknown" : String(count));
  const rows: [string, string][] = [
    ["input", show(usage?.inputTokens)],
    ["cached input", show(usage?.cachedInputTokens)],
    ["cache write", show(usage?.cacheWriteInputTokens)],
    ["output", show(usage?.outputTokens)],
    ["reasoning", show(usage?.reasoningTokens)],
  ];
  if (usage?.partial === true) rows.push(["partial", "yes (the stream ended early)"]);
  return rows;
}

/** One row of the attempts table. */
export interface AttemptRow {
  deployment: string;
  provider: string;
  outcome: string;
  reason: string;
  retry: string;
  latency: string;
}

/** The route record's attempts, in the order the gateway made them. */
export function attemptRows(route: RouteRecord | undefined): AttemptRow[] {
  return (route?.attempts ?? []).map((attempt) => ({
    deployment: attempt.deployment,
    provider: attempt.provider,
    outcome: AttemptOutcome[attempt.outcome] ?? String(attempt.outcome),
    reason: attempt.reason,
    retry: String(attempt.retry),
    latency: `${attempt.latencyMs} ms`,
  }));
}

/** A routing strategy's name as the config spells it ("PRIORITY" -> "priority"). */
export function strategyName(strategy: RoutingStrategy): string {
  return (RoutingStrategy[strategy] ?? String(strategy)).toLowerCase().replace(/_/g, "-");
}
