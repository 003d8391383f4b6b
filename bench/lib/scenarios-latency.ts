/**
 * Scenarios 1 and 2: what a gateway adds to one request at a time, and to the time to first token.
 * Rounds are interleaved (every round visits every target in a fresh random order) so drift in the
 * machine hits all targets alike; "added" is always target minus direct within the same round.
 */
import { percentile, shuffle, spread, type Spread } from "./stats.js";
import { grpcGoAvailable, sequentialGrpcGo, sequentialStreamsGrpcGo, type StreamBatch } from "./grpc-load.js";
import { sequential } from "./load.js";
import type { Plan } from "./plan.js";
import type { Target } from "./targets.js";
import type { StreamResult } from "./clients.js";

export interface LatencyFigures {
  target: string;
  p50Ms: Spread;
  p99Ms: Spread;
  /** target − direct, per round. */
  addedP50Ms: Spread;
  addedP99Ms: Spread;
  samplesPerRound: number;
  /** What sent the calls: the Node client of the target's protocol, or bench/grpc-load for gRPC rows. */
  loadGenerator?: "node" | "grpc-go";
  /** The first error, when a round failed (its figures are then left out). */
  error?: string;
}

export interface LatencyScenario {
  /** direct's p50 over all rounds: the one-request floor of the rig. */
  floorMs: number;
  /** Rounds whose direct p99 exceeded twice the floor (the rig, not a gateway, was busy). */
  saturatedRounds: number[];
  /** Whether saturated rounds were left out of the figures (they are when at least half stay). */
  discardedSaturated: boolean;
  figures: LatencyFigures[];
}

/** The gRPC rows go through grpc-go when it is there: the grpc-js client costs more than the gateway does. */
function viaGrpcGo(target: Target): string | undefined {
  return target.grpcAddress !== undefined && grpcGoAvailable() ? target.grpcAddress : undefined;
}

/** Scenario 1: added latency at one request at a time, instant mock. */
export async function runLatency(plan: Plan, targets: Target[], random: () => number): Promise<LatencyScenario> {
  const failures = new Map<string, string>();
  const measure = async (target: Target, count: number): Promise<number[]> => {
    try {
      const address = viaGrpcGo(target);
      if (address !== undefined) return await sequentialGrpcGo(address, count, 60_000, "mock-instant");
      return await sequential(() => target.client.unary("mock-instant"), count, 60_000);
    } catch (error) {
      if (!failures.has(target.name)) failures.set(target.name, error instanceof Error ? error.message : String(error));
      return [];
    }
  };
  for (const target of targets) await measure(target, plan.latency.warmup);
  const perRound = new Map<string, { p50: number; p99: number }[]>();
  for (let round = 0; round < plan.latency.rounds; round++) {
    for (const target of shuffle(targets, random)) {
      const latencies = await measure(target, plan.latency.perRound);
      perRound.set(target.name, [...(perRound.get(target.name) ?? []), { p50: percentile(latencies, 50), p99: percentile(latencies, 99) }]);
    }
  }
  const direct = perRound.get("direct") ?? [];
  const floorMs = Math.min(...direct.map((round) => round.p50));
  const saturatedRounds = direct.flatMap((round, index) => (round.p99 > 2 * floorMs ? [index] : []));
  const discardedSaturated = saturatedRounds.length > 0 && direct.length - saturatedRounds.length >= Math.ceil(direct.length / 2);
  const keep = (index: number): boolean => !discardedSaturated || !saturatedRounds.includes(index);
  const figures = targets.map((target): LatencyFigures => {
    const rounds = perRound.get(target.name) ?? [];
    const kept = rounds.filter((_, index) => keep(index));
    return {
      target: target.name,
      p50Ms: spread(kept.map((round) => round.p50)),
      p99Ms: spread(kept.map((round) => round.p99)),
      addedP50Ms: spread(rounds.flatMap((round, index) => (keep(index) ? [round.p50 - (direct[index]?.p50 ?? Number.NaN)] : []))),
      addedP99Ms: spread(rounds.flatMap((round, index) => (keep(index) ? [round.p99 - (direct[index]?.p99 ?? Number.NaN)] : []))),
      samplesPerRound: plan.latency.perRound,
      loadGenerator: viaGrpcGo(target) === undefined ? "node" : "grpc-go",
      ...(failures.has(target.name) ? { error: failures.get(target.name) } : {}),
    };
  });
  return { floorMs, saturatedRounds, discardedSaturated, figures };
}

export interface StreamFigures {
  target: string;
  /** What sent the streams: the Node client of the target's protocol, or bench/grpc-load for gRPC rows. */
  loadGenerator?: "node" | "grpc-go";
  /** Time to the first content delta. */
  ttftMs: Spread;
  addedTtftMs: Spread;
  /** Median gap between content deltas as the client saw them. */
  gapMs: Spread;
  streams: number;
  /** Streams that did not deliver exactly the deltas the mock sent. */
  wrongDeltaCount: number;
  /** Deltas arrived bunched (median gap under half the pacing) although the upstream paced them. */
  buffered: boolean;
  errors: number;
  firstError?: string;
}

export interface TtftScenario {
  paced: { model: string; deltas: number; gapMs: number; figures: StreamFigures[] };
  instant: { model: string; deltas: number; figures: StreamFigures[] };
}

function medianGap(result: StreamResult): number {
  const gaps = result.deltaTimesMs.slice(1).map((time, index) => time - (result.deltaTimesMs[index] ?? time));
  return percentile(gaps, 50);
}

/** `count` streams one at a time through the target's Node client, or through grpc-go for a gRPC row. */
async function streamBatch(target: Target, model: string, count: number): Promise<StreamBatch> {
  const address = viaGrpcGo(target);
  if (address !== undefined) {
    try {
      return await sequentialStreamsGrpcGo(address, count, 120_000, model);
    } catch (error) {
      return { results: [], errors: count, firstError: error instanceof Error ? error.message : String(error) };
    }
  }
  const batch: StreamBatch = { results: [], errors: 0 };
  for (let index = 0; index < count; index++) {
    try {
      batch.results.push(await target.client.stream(model));
    } catch (error) {
      batch.errors++;
      batch.firstError ??= error instanceof Error ? error.message : String(error);
    }
  }
  return batch;
}

async function streamRounds(plan: Plan, targets: Target[], random: () => number, model: string, deltas: number, gapMs: number): Promise<StreamFigures[]> {
  const results = new Map<string, { ttft: number[]; gaps: number[]; wrong: number; errors: number; firstError?: string; streams: number }>();
  for (const target of targets) results.set(target.name, { ttft: [], gaps: [], wrong: 0, errors: 0, streams: 0 });
  const roundTtft = new Map<string, number[]>();
  for (let round = 0; round < plan.ttft.rounds; round++) {
    for (const target of shuffle(targets, random)) {
      const entry = results.get(target.name);
      if (entry === undefined) continue;
      const ttfts: number[] = [];
      const batch = await streamBatch(target, model, plan.ttft.streamsPerRound);
      entry.streams += plan.ttft.streamsPerRound;
      entry.errors += batch.errors;
      if (batch.firstError !== undefined) entry.firstError ??= batch.firstError;
      for (const result of batch.results) {
        if (result.deltaTimesMs.length !== deltas) entry.wrong++;
        if (result.firstContentMs !== undefined) ttfts.push(result.firstContentMs);
        if (result.deltaTimesMs.length > 1) entry.gaps.push(medianGap(result));
      }
      roundTtft.set(target.name, [...(roundTtft.get(target.name) ?? []), percentile(ttfts, 50)]);
      entry.ttft.push(percentile(ttfts, 50));
    }
  }
  const direct = roundTtft.get("direct") ?? [];
  return targets.map((target) => {
    const entry = results.get(target.name) ?? { ttft: [], gaps: [], wrong: 0, errors: 0, streams: 0 };
    const gap = spread(entry.gaps);
    return {
      target: target.name,
      loadGenerator: viaGrpcGo(target) === undefined ? "node" : "grpc-go",
      ttftMs: spread(entry.ttft),
      addedTtftMs: spread((roundTtft.get(target.name) ?? []).map((value, index) => value - (direct[index] ?? Number.NaN))),
      gapMs: gap,
      streams: entry.streams,
      wrongDeltaCount: entry.wrong,
      buffered: gapMs > 0 && gap.n > 0 && gap.median < gapMs / 2,
      errors: entry.errors,
      ...(entry.firstError === undefined ? {} : { firstError: entry.firstError }),
    };
  });
}

/** Scenario 2: added time to first token with a paced upstream and with an instant one, plus delta fidelity. */
export async function runTtft(plan: Plan, targets: Target[], random: () => number): Promise<TtftScenario> {
  const { pacedModel, pacedDeltas, pacedGapMs, instantModel, instantDeltas } = plan.ttft;
  for (const target of targets) await streamBatch(target, instantModel, 1);
  return {
    paced: { model: pacedModel, deltas: pacedDeltas, gapMs: pacedGapMs, figures: await streamRounds(plan, targets, random, pacedModel, pacedDeltas, pacedGapMs) },
    instant: { model: instantModel, deltas: instantDeltas, figures: await streamRounds(plan, targets, random, instantModel, instantDeltas, 0) },
  };
}
