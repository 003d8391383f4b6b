/**
 * Load shapes, each bounded in count and in time: sequential (one request at a time), closed loop
 * (c workers back to back) and open loop (sends at scheduled times, latency measured from the scheduled
 * time so a slow server cannot hide its queueing: no coordinated omission).
 */
import { performance } from "node:perf_hooks";
import { setTimeout as sleep } from "node:timers/promises";
import { percentile } from "./stats.js";

/** What one load run measured. */
export interface LoadResult {
  requests: number;
  errors: number;
  firstError?: string;
  durationMs: number;
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  /** Open loop only: sends skipped because too many were in flight. */
  dropped?: number;
}

function summarise(latencies: number[], errors: number, durationMs: number, firstError: string | undefined): LoadResult {
  return {
    requests: latencies.length + errors,
    errors,
    ...(firstError === undefined ? {} : { firstError }),
    durationMs,
    requestsPerSecond: (latencies.length / durationMs) * 1000,
    p50Ms: percentile(latencies, 50),
    p99Ms: percentile(latencies, 99),
  };
}

/** n requests one after another; returns each latency in ms (errors throw: a latency run must be clean). */
export async function sequential(send: () => Promise<unknown>, count: number, timeLimitMs: number): Promise<number[]> {
  const latencies: number[] = [];
  const deadline = performance.now() + timeLimitMs;
  for (let index = 0; index < count && performance.now() < deadline; index++) {
    const started = performance.now();
    await send();
    latencies.push(performance.now() - started);
  }
  return latencies;
}

/** c workers, each sending the next request when its last one ends, for durationMs (and at most maxRequests). */
export async function closedLoop(send: () => Promise<unknown>, concurrency: number, durationMs: number, maxRequests = 5_000_000): Promise<LoadResult> {
  const latencies: number[] = [];
  let errors = 0;
  let firstError: string | undefined;
  let issued = 0;
  const started = performance.now();
  const deadline = started + durationMs;
  const worker = async (): Promise<void> => {
    while (performance.now() < deadline && issued < maxRequests) {
      issued++;
      const sent = performance.now();
      try {
        await send();
        latencies.push(performance.now() - sent);
      } catch (error) {
        errors++;
        firstError ??= String(error instanceof Error ? error.message : error);
        if (errors > 1_000) return;
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return summarise(latencies, errors, performance.now() - started, firstError);
}

/**
 * Sends at `rate` per second for durationMs; each latency runs from the request's scheduled send time.
 * At most maxInFlight are outstanding; a send due beyond that is dropped and counted (a saturated target),
 * and so is a request still outstanding drainLimitMs after the last send.
 */
export async function openLoop(send: () => Promise<unknown>, rate: number, durationMs: number, drainLimitMs = 10_000, maxInFlight = 4_000): Promise<LoadResult> {
  const latencies: number[] = [];
  let errors = 0;
  let dropped = 0;
  let firstError: string | undefined;
  let inFlight = 0;
  const total = Math.floor((rate * durationMs) / 1000);
  const intervalMs = 1000 / rate;
  const started = performance.now();
  const pending = new Set<Promise<void>>();
  for (let index = 0; index < total; index++) {
    const scheduled = started + index * intervalMs;
    const wait = scheduled - performance.now();
    if (wait > 1) await sleep(wait);
    if (inFlight >= maxInFlight) {
      dropped++;
      continue;
    }
    inFlight++;
    const request = send().then(
      () => {
        latencies.push(performance.now() - scheduled);
      },
      (error: unknown) => {
        errors++;
        firstError ??= String(error instanceof Error ? error.message : error);
      },
    );
    const tracked = request.finally(() => {
      inFlight--;
      pending.delete(tracked);
    });
    pending.add(tracked);
  }
  // Requests still outstanding when the drain limit passes count as dropped (the target is saturated).
  await Promise.race([Promise.all(pending), sleep(drainLimitMs)]);
  const result = summarise(latencies, errors, Math.max(durationMs, performance.now() - started), firstError);
  return { ...result, requestsPerSecond: (latencies.length / durationMs) * 1000, dropped: dropped + pending.size };
}
