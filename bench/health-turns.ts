/**
 * How many turns of the event loop a gRPC health check waits. Starts the bundle (`npm run build`
 * first) with a preload that makes every turn of its loop last at least `--burn-ms` (a setImmediate
 * chain that spins), then runs the battery's health prober (test/reliability/support/health-prober.ts)
 * against it for a few seconds and prints the Check's latency. The ratio of that latency to the
 * turn's length is what the overload gate's target has to allow for (docs/benchmarks.md, "Overload").
 *
 *   npx tsx bench/health-turns.ts [--burn-ms 0,5,10,20] [--seconds 5]
 */
import { spawn } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { argument } from "./lib/cli.js";
import { percentile } from "./lib/stats.js";
import { repositoryDirectory } from "./lib/targets.js";

const burns = argument("burn-ms", "0,5,10,20").split(",").map(Number);
const seconds = Number(argument("seconds", "5"));
const port = 18_791;
const directory = mkdtempSync(path.join(os.tmpdir(), "modelgate-health-turns-"));
const configPath = path.join(directory, "gateway.yaml");
writeFileSync(
  configPath,
  JSON.stringify({
    server: { host: "127.0.0.1", port, logLevel: "info", playground: false },
    providers: { none: { kind: "openai", baseUrl: "http://127.0.0.1:1/v1", apiKey: "x" } },
    deployments: { none: { provider: "none", model: "none" } },
  }),
);
// Spins until the turn has lasted BURN_MS, then queues itself for the next turn.
const preload = `data:text/javascript,${encodeURIComponent(
  "const ms = Number(process.env.BURN_MS); if (ms > 0) { const burn = () => { const end = performance.now() + ms; while (performance.now() < end); setImmediate(burn); }; setImmediate(burn); }",
)}`;

for (const burnMs of burns) {
  const gateway = spawn(process.execPath, ["--import", preload, path.join(repositoryDirectory, "dist", "modelgate.mjs"), "serve", "--config", configPath], {
    env: { ...process.env, BURN_MS: String(burnMs) },
    stdio: ["ignore", "pipe", "inherit"],
  });
  await new Promise<void>((resolve) => gateway.stdout.on("data", (data: Buffer) => data.toString().includes("listening") && resolve()));
  const prober = spawn(process.execPath, ["--import", "tsx", path.join(repositoryDirectory, "test", "reliability", "support", "health-prober.ts"), `http://127.0.0.1:${port}`, "20", "2000"], {
    cwd: repositoryDirectory,
    stdio: ["ignore", "pipe", "inherit"],
  });
  const latencies: number[] = [];
  prober.stdout.on("data", (data: Buffer) => {
    for (const line of data.toString().split("\n")) if (line !== "") latencies.push(Number(line.split(" ")[0]));
  });
  await new Promise((resolve) => setTimeout(resolve, seconds * 1_000));
  prober.kill("SIGTERM");
  const exited = new Promise((resolve) => gateway.once("exit", resolve));
  gateway.kill("SIGKILL");
  await exited;
  // The first few Checks include the prober's own start-up.
  const settled = latencies.slice(5);
  const p50 = percentile(settled, 50);
  console.log(
    `turns of ${String(burnMs).padStart(2)} ms: ${settled.length} Checks, p50 ${p50.toFixed(1)} ms, p99 ${percentile(settled, 99).toFixed(1)} ms` +
      (burnMs > 0 ? ` (p50 ${(p50 / burnMs).toFixed(1)} turns)` : ""),
  );
}
process.exit(0);
