/**
 * What the idle memory release (src/server/idle-memory-release.ts) costs the traffic that follows an
 * idle period, A/B: two gateways on the same bundle and flags, one with `server.releaseIdleMemoryAfterMs:
 * 5000` and one with the default, 0 (off). Both are warmed up
 * as the harness does, then each cycle leaves both idle for 8 s (the release runs after 5 s) and, in a
 * fresh random order, gives each 300 calls one at a time and then a 2 s burst at c=8. Prints, per
 * variant over the cycles, the one-at-a-time p50, p99 and calls over 2 ms, the gateway's CPU per call
 * in each part (from /proc), its RSS after the idle time, and its RSS after the burst.
 *
 *   npx tsx bench/memory/after-idle.ts [--cycles 6] [--target modelgate/connect-h1]
 */
import { mkdtempSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { argument, cpuMs } from "../lib/cli.js";
import { closedLoop, sequential } from "../lib/load.js";
import { pinSelf, stopProcess, treeRssMiB } from "../lib/processes.js";
import { percentile, seededRandom, shuffle } from "../lib/stats.js";
import { startGateway, startMock, targetsFor, type Gateway, type Target } from "../lib/targets.js";

const cycles = Number(argument("cycles", "6"));
const targetName = argument("target", "modelgate/connect-h1");

interface Variant {
  label: string;
  gateway: Gateway;
  target: Target;
  sequentialMs: number[];
  sequentialCpuMs: number[];
  burstCpuMs: number[];
  idleRssMiB: number[];
  burstRssMiB: number[];
}

pinSelf(1);
const directory = mkdtempSync(path.join(os.tmpdir(), "modelgate-after-idle-"));
const mock = await startMock(directory);
const variants: Variant[] = [];
const median = (values: number[]): number => percentile(values, 50);

try {
  for (const [label, releaseIdleMemoryAfterMs] of [["release", 5_000], ["no release", 0]] as const) {
    const gateway = await startGateway("modelgate", mock.port, mkdtempSync(path.join(directory, "gateway-")), { serverSettings: { releaseIdleMemoryAfterMs } });
    const target = targetsFor(gateway, mock.port).find((candidate) => candidate.name === targetName);
    if (target === undefined) throw new Error(`no target ${targetName}`);
    variants.push({ label, gateway, target, sequentialMs: [], sequentialCpuMs: [], burstCpuMs: [], idleRssMiB: [], burstRssMiB: [] });
  }
  for (const { target } of variants) {
    await closedLoop(() => target.client.unary("mock-instant"), 8, 3_000);
    await sequential(() => target.client.unary("mock-instant"), 500, 10_000);
  }
  const random = seededRandom(11);
  for (let cycle = 0; cycle < cycles; cycle++) {
    await new Promise((resolve) => setTimeout(resolve, 8_000));
    for (const variant of variants) variant.idleRssMiB.push(treeRssMiB(variant.gateway.started.child.pid));
    for (const variant of shuffle(variants, random)) {
      const pid = variant.gateway.started.child.pid as number;
      let before = cpuMs(pid);
      const latencies = await sequential(() => variant.target.client.unary("mock-instant"), 300, 60_000);
      variant.sequentialCpuMs.push((cpuMs(pid) - before) / latencies.length);
      variant.sequentialMs.push(...latencies);
      before = cpuMs(pid);
      const burst = await closedLoop(() => variant.target.client.unary("mock-instant"), 8, 2_000);
      variant.burstCpuMs.push((cpuMs(pid) - before) / burst.requests);
      variant.burstRssMiB.push(treeRssMiB(pid));
    }
  }
  process.stdout.write(`${targetName}, ${cycles} cycles of 8 s idle, then 300 calls one at a time and 2 s at c=8 per variant\n`);
  for (const variant of variants) {
    const slow = variant.sequentialMs.filter((latency) => latency > 2).length;
    process.stdout.write(
      `${variant.label.padEnd(10)}: one at a time p50 ${median(variant.sequentialMs).toFixed(3)} ms, p99 ${percentile(variant.sequentialMs, 99).toFixed(3)} ms, ` +
        `${slow} over 2 ms, CPU ${(median(variant.sequentialCpuMs) * 1000).toFixed(0)} µs/call; burst CPU ${(median(variant.burstCpuMs) * 1000).toFixed(0)} µs/call; ` +
        `RSS after idle ${median(variant.idleRssMiB).toFixed(1)} MiB, after the burst ${median(variant.burstRssMiB).toFixed(1)} MiB\n`,
    );
  }
  const [release, noRelease] = variants;
  if (release !== undefined && noRelease !== undefined) {
    process.stdout.write(
      `ratio release / no release: one-at-a-time CPU ${(median(release.sequentialCpuMs) / median(noRelease.sequentialCpuMs)).toFixed(2)}, ` +
        `burst CPU ${(median(release.burstCpuMs) / median(noRelease.burstCpuMs)).toFixed(2)}\n`,
    );
  }
  for (const { target } of variants) await target.client.close();
} finally {
  for (const { gateway } of variants) await stopProcess(gateway.started);
  await stopProcess(mock.started);
}
