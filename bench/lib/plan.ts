/**
 * How much of each scenario a mode runs. `full` follows ../shared/docs/benchmarking.md within 10 minutes,
 * `quick` runs every scenario reduced (≤ 2 minutes), `smoke` is CI's check that the harness still works
 * (≤ 20 s, direct + modelgate only, scenarios 1 and 2, no peers needed).
 */
import type { GatewayName } from "./targets.js";

export type Mode = "full" | "quick" | "smoke";

export interface Plan {
  mode: Mode;
  /** Stop starting new work after this long; what is left is reported as skipped. */
  budgetMs: number;
  gateways: Exclude<GatewayName, "mock">[];
  /**
   * Before any scenario, every target (peers and direct too) serves a closed loop of unary calls at
   * c=8 for `unaryMs`, then of instant streams for `streamMs`: V8 needs thousands of calls before a
   * path runs optimised code (measured here: a fresh gateway's first 5 s cost up to 2× the CPU per
   * call of its steady state), and a production gateway is warm.
   */
  warmup: { unaryMs: number; streamMs: number };
  latency: { warmup: number; rounds: number; perRound: number };
  ttft: { rounds: number; streamsPerRound: number; pacedModel: string; pacedDeltas: number; pacedGapMs: number; instantModel: string; instantDeltas: number };
  capacity?: { concurrencies: number[]; warmupMs: number; repeats: number; windowMs: number };
  fixedRate?: { rates: number[]; repeats: number; windowMs: number; drainLimitMs: number };
  memory?: { streams: number; streamModel: string; afterMs: number; timeLimitMs: number };
}

export function planFor(mode: Mode): Plan {
  const ttftFull = { pacedModel: "mock-stream-32-20", pacedDeltas: 32, pacedGapMs: 20, instantModel: "mock-stream-32-0", instantDeltas: 32 };
  switch (mode) {
    case "full":
      return {
        mode,
        budgetMs: 570_000,
        gateways: ["modelgate", "null", "portkey", "litellm"],
        warmup: { unaryMs: 3_000, streamMs: 1_000 },
        latency: { warmup: 100, rounds: 7, perRound: 200 },
        ttft: { rounds: 5, streamsPerRound: 3, ...ttftFull },
        capacity: { concurrencies: [1, 8, 32, 64], warmupMs: 500, repeats: 3, windowMs: 1_500 },
        fixedRate: { rates: [100, 300, 600], repeats: 3, windowMs: 1_500, drainLimitMs: 5_000 },
        memory: { streams: 1_000, streamModel: "mock-stream-10-300", afterMs: 10_000, timeLimitMs: 20_000 },
      };
    case "quick":
      return {
        mode,
        budgetMs: 100_000,
        gateways: ["modelgate", "null", "portkey", "litellm"],
        warmup: { unaryMs: 1_000, streamMs: 300 },
        latency: { warmup: 20, rounds: 3, perRound: 40 },
        ttft: { rounds: 2, streamsPerRound: 1, ...ttftFull },
        capacity: { concurrencies: [1, 8, 32, 64], warmupMs: 100, repeats: 3, windowMs: 150 },
        fixedRate: { rates: [100, 300, 600], repeats: 1, windowMs: 500, drainLimitMs: 1_500 },
        memory: { streams: 1_000, streamModel: "mock-stream-10-300", afterMs: 1_000, timeLimitMs: 8_000 },
      };
    case "smoke":
      return {
        mode,
        budgetMs: 15_000,
        gateways: ["modelgate"],
        warmup: { unaryMs: 500, streamMs: 200 },
        latency: { warmup: 10, rounds: 2, perRound: 20 },
        ttft: { rounds: 1, streamsPerRound: 1, pacedModel: "mock-stream-8-20", pacedDeltas: 8, pacedGapMs: 20, instantModel: "mock-stream-32-0", instantDeltas: 32 },
      };
  }
}
