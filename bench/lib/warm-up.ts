/**
 * Brings every target to steady state before anything is measured: a closed loop of unary calls, then
 * one of streams, each at c=8 for a fixed time. Why: V8 optimises a function only after it has run
 * many times, so a gateway's first thousands of calls run slower code (measured on modelgate: CPU per
 * call in its first 5 s up to twice its steady state). Without this, the one-request and
 * time-to-first-token scenarios measured half-cold code. Every target gets the same treatment, the peers
 * and `direct` included; errors are ignored here (the scenarios report them).
 */
import { closedLoop } from "./load.js";
import type { Plan } from "./plan.js";
import type { Target } from "./targets.js";

const concurrency = 8;

/** Warms each target up in turn; returns the calls made per target. */
export async function warmUp(plan: Plan, targets: Target[], log: (line: string) => void): Promise<Map<string, number>> {
  const calls = new Map<string, number>();
  for (const target of targets) {
    const unary = await closedLoop(() => target.client.unary("mock-instant"), concurrency, plan.warmup.unaryMs);
    // Streams only where the scenarios stream (the null server's streams are not measured).
    const streams = target.gateway === "null" ? undefined : await closedLoop(() => target.client.stream(plan.ttft.instantModel), concurrency, plan.warmup.streamMs);
    calls.set(target.name, unary.requests + (streams?.requests ?? 0));
    log(`warmed up ${target.name}: ${unary.requests} calls${streams === undefined ? "" : ` and ${streams.requests} streams`}`);
  }
  return calls;
}
