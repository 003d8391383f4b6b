/** Small statistics helpers: percentiles of raw samples, and median with spread across repeats. */
import { createSeededRandom } from "../../src/resilience/random.js";

/** The p-th percentile (0–100) of samples, nearest-rank on a sorted copy; NaN for no samples. */
export function percentile(samples: readonly number[], p: number): number {
  if (samples.length === 0) return Number.NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank] ?? Number.NaN;
}

/** A figure over repeats: its median and the min–max spread, so every reported number has its spread. */
export interface Spread {
  median: number;
  min: number;
  max: number;
  /** How many repeats the figure is over. */
  n: number;
}

/** Median and spread of repeat values (NaN values are left out). */
export function spread(values: readonly number[]): Spread {
  const clean = values.filter((value) => Number.isFinite(value));
  if (clean.length === 0) return { median: Number.NaN, min: Number.NaN, max: Number.NaN, n: 0 };
  const sorted = [...clean].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  const median = sorted.length % 2 === 1 ? (sorted[middle] ?? 0) : ((sorted[middle - 1] ?? 0) + (sorted[middle] ?? 0)) / 2;
  return { median, min: sorted[0] ?? Number.NaN, max: sorted[sorted.length - 1] ?? Number.NaN, n: clean.length };
}

/** Rounds for display and JSON: 3 significant decimals below 10, fewer above. */
export function round(value: number): number {
  if (!Number.isFinite(value)) return value;
  const digits = Math.abs(value) < 10 ? 3 : Math.abs(value) < 1000 ? 1 : 0;
  return Number(value.toFixed(digits));
}

/** Formats a spread as "median (min–max)". */
export function formatSpread(value: Spread | undefined, unit = ""): string {
  if (value === undefined || value.n === 0) return "–";
  if (value.n === 1) return `${round(value.median)}${unit}`;
  return `${round(value.median)}${unit} (${round(value.min)}–${round(value.max)})`;
}

/** Fisher–Yates shuffle with an injected random source (seeded runs shuffle the same way). */
export function shuffle<T>(items: readonly T[], random: () => number): T[] {
  const copy = [...items];
  for (let index = copy.length - 1; index > 0; index--) {
    const other = Math.floor(random() * (index + 1));
    [copy[index], copy[other]] = [copy[other] as T, copy[index] as T];
  }
  return copy;
}

/** A small seeded PRNG (mulberry32): the gateway's own, src/resilience/random.ts. */
export const seededRandom = createSeededRandom;
