/**
 * Brings every target to steady state before scenarios 1 and 2 measure it: unary calls, then streams,
 * each one at a time for a fixed time, the shape those two scenarios then measure. Why warm up at all:
 * V8 optimises a function only after many calls, so a gateway's first thousands of calls run slower
 * code (measured on modelgate: CPU per call in its first 5 s up to twice its steady state). Why one at
 * a time and not concurrently: after a concurrent burst V8 keeps its young generation grown, and on
 * modelgate that left ~0.7 MB promoted per scavenge and 3–4.5 ms pauses under the one-at-a-time load
 * that followed, against ~30 KB and 0.5–2 ms after a one-at-a-time warm-up
 * (`npx tsx bench/gc/gateway-gc-trace.ts` with and without `--sequential-warmup`). Scenario 3 warms each
 * cell up at its own concurrency. Every target gets the same treatment, the peers and `direct`
 * included; errors are ignored here (the scenarios report them).
 */
import { closedLoop } from "./load.js";
import type { Plan } from "./plan.js";
import type { Target } from "./targets.js";

/** Warms each target up in turn; returns the calls made per target. */
export async function warmUp(plan: Plan, targets: Target[], log: (line: string) => void): Promise<Map<string, number>> {
  const calls = new Map<string, number>();
  for (const target of targets) {
    const unary = await closedLoop(() => target.client.unary("mock-instant"), 1, plan.warmup.unaryMs);
    // Streams only where the scenarios stream (the null server's streams are not measured).
    const streams = target.gateway === "null" ? undefined : await closedLoop(() => target.client.stream(plan.ttft.instantModel), 1, plan.warmup.streamMs);
    calls.set(target.name, unary.requests + (streams?.requests ?? 0));
    log(`warmed up ${target.name}: ${unary.requests} calls${streams === undefined ? "" : ` and ${streams.requests} streams`}`);
  }
  return calls;
}
