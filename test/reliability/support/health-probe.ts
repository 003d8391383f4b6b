/**
 * The health latency a test reports: starts health-prober.ts beside the gateway, waits for its first
 * SERVING answer, and on `stop()` summarises every Check made meanwhile. A failed or timed-out Check
 * counts with its full time, so a frozen gateway shows as a huge p99, never as a missing sample.
 */
import { spawn } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { percentile } from "../../e2e/harness.js";
import { repositoryDirectory } from "./paths.js";

const prober = path.join(path.dirname(fileURLToPath(import.meta.url)), "health-prober.ts");
const tsxLoader = path.join(repositoryDirectory, "node_modules", "tsx", "dist", "loader.mjs");

export interface HealthSummary {
  checks: number;
  failed: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
}

export interface HealthProbe {
  /** Stops probing and summarises the Checks made since the first SERVING answer. */
  stop(): Promise<HealthSummary>;
}

/** Formats a summary for a figures line: "health p99 3.1 ms (max 9.0, 250 checks, 0 failed)". */
export function describeHealth(summary: HealthSummary): string {
  return `health p99 ${summary.p99Ms.toFixed(1)} ms (max ${summary.maxMs.toFixed(1)}, ${summary.checks} checks, ${summary.failed} failed)`;
}

/** Starts probing `gatewayUrl` every `intervalMs`; resolves once a first Check has succeeded (that one is not counted). */
export async function startHealthProbe(gatewayUrl: string, intervalMs = 20, timeoutMs = 2_000): Promise<HealthProbe> {
  const child = spawn(process.execPath, ["--import", tsxLoader, prober, gatewayUrl, String(intervalMs), String(timeoutMs)], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  const samples: { ms: number; ok: boolean }[] = [];
  let warm = false;
  let partial = "";
  let stderr = "";
  let ready: (() => void) | undefined;
  child.stderr.on("data", (data: Buffer) => (stderr = (stderr + data.toString("utf8")).slice(-2_000)));
  child.stdout.on("data", (data: Buffer) => {
    const lines = (partial + data.toString("utf8")).split("\n");
    partial = lines.pop() ?? "";
    for (const line of lines) {
      const [ms, ok] = line.split(" ");
      const sample = { ms: Number(ms), ok: ok === "1" };
      // Samples count after the first success: the prober's own start-up (connection, JIT) is not the
      // gateway's latency.
      if (!warm) {
        warm = sample.ok;
        if (warm) ready?.();
        continue;
      }
      samples.push(sample);
    }
  });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`health prober never got SERVING from ${gatewayUrl}:\n${stderr}`)), 20_000);
    ready = () => {
      clearTimeout(timer);
      ready = undefined;
      resolve();
    };
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`health prober exited with ${code}:\n${stderr}`));
    });
  });
  return {
    async stop() {
      child.kill("SIGTERM");
      const killer = setTimeout(() => child.kill("SIGKILL"), timeoutMs + 1_000);
      await exited;
      clearTimeout(killer);
      const times = samples.map((sample) => sample.ms);
      return {
        checks: samples.length,
        failed: samples.filter((sample) => !sample.ok).length,
        p50Ms: percentile(times, 50),
        p99Ms: percentile(times, 99),
        maxMs: Math.max(...times),
      };
    },
  };
}
