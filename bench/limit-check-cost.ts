/**
 * What one caller-limit admission costs against a real redis-server (the Lua script in
 * src/callers/caller-limit-scripts.ts, called through ioredis as the gateway does), next to a PING:
 * with the key's window empty, and full (a call in each of the 60 one-second buckets). With
 * `--baseline <commit>`, the scripts of that commit run beside the current ones in the same process, on
 * keys of their own, so the two are compared on one Redis at one time.
 *
 *   npx tsx bench/limit-check-cost.ts [--calls 4000] [--baseline 7f7a403]
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { Redis } from "ioredis";
import { argument } from "./lib/cli.js";
import { startRedis } from "./lib/redis-servers.js";
import { percentile } from "./lib/stats.js";
import { defineCallerLimitScripts, type CallerLimitCommands } from "../src/callers/caller-limit-scripts.js";

const calls = Number(argument("calls", "4000"));
const baseline = argument("baseline", "");

type Define = (client: Redis) => Redis & CallerLimitCommands;

/** The scripts module of `commit`, loaded from a copy beside this tree's (its imports are types only). */
async function scriptsOf(commit: string): Promise<Define> {
  const source = execFileSync("git", ["show", `${commit}:src/callers/caller-limit-scripts.ts`], { encoding: "utf8" });
  const file = path.join(mkdtempSync(path.join(os.tmpdir(), "modelgate-limit-scripts-")), "caller-limit-scripts.ts");
  writeFileSync(file, source);
  const module = (await import(file)) as { defineCallerLimitScripts: Define };
  return module.defineCallerLimitScripts;
}

async function timed(run: () => Promise<unknown>): Promise<{ p50: number; p90: number }> {
  for (let warm = 0; warm < 500; warm++) await run();
  const latencies: number[] = [];
  for (let call = 0; call < calls; call++) {
    const started = performance.now();
    await run();
    latencies.push(performance.now() - started);
  }
  return { p50: percentile(latencies, 50), p90: percentile(latencies, 90) };
}

const redis = await startRedis();
const client = new Redis({ port: redis.nodes[0].port, host: "127.0.0.1" });
try {
  const variants: [string, Define][] = [["current", defineCallerLimitScripts as unknown as Define]];
  if (baseline !== "") variants.push([baseline, await scriptsOf(baseline)]);
  const ping = await timed(() => client.ping());
  process.stdout.write(`PING: p50 ${ping.p50.toFixed(3)} ms, p90 ${ping.p90.toFixed(3)} ms\n`);
  for (const [label, define] of variants) {
    // Each variant registers its scripts under the same command names: a client of its own.
    const scripted = define(new Redis({ port: redis.nodes[0].port, host: "127.0.0.1" }));
    const admit = (key: string, at: number) =>
      scripted.mgCallerAdmit(`${key}:window`, `${key}:day`, `${key}:month`, `${key}:streams`, at, 1_000, 60, 1e9, 1e12, 100, 0, 0, 0, "", at + 60_000, 1_000, 1_000);
    const empty = `{bench-${label}-empty}`;
    // Keep it empty: each call's bucket is a fresh second far apart, so the window never holds more than one.
    let far = Date.now();
    const fresh = await timed(() => admit(empty, (far += 120_000)));
    const full = `{bench-${label}-full}`;
    const now = Date.now();
    for (let bucket = 59; bucket >= 0; bucket--) await admit(full, now - bucket * 1_000);
    const filled = await timed(() => admit(full, Date.now()));
    process.stdout.write(`${label}: admission, window empty p50 ${fresh.p50.toFixed(3)} ms (p90 ${fresh.p90.toFixed(3)}); window full p50 ${filled.p50.toFixed(3)} ms (p90 ${filled.p90.toFixed(3)})\n`);
    scripted.disconnect();
  }
} finally {
  client.disconnect();
  await redis.stop();
}
