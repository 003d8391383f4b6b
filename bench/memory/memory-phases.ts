/**
 * What the gateway's memory is made of, at four moments: just started, after the bench's warm-up (3 s
 * of unary calls and 1 s of streams at c=8 on each of its targets), after 1,000 more calls one at a
 * time per target, and after 12 s with no calls, with the idle memory release turned on
 * (`server.releaseIdleMemoryAfterMs: 5000`, src/server/idle-memory-release.ts). For each: the process
 * tree's RSS (as scenario 5 reads it), V8's committed and used heap, and its young generation
 * (`new_space`) and old space, read inside the gateway (heap-report-preload.mjs) with no profiler.
 *
 * The gateway runs on the Node that runs this script, so `.tools/bin/node24 --import tsx
 * bench/memory/memory-phases.ts` measures Node 24 beside Node 20's `npx tsx bench/memory/memory-phases.ts`.
 * `--gc` starts it with --expose-gc and collects before each reading: the live heap instead of what V8
 * holds. The gateway runs with the node flags of the `modelgate` command (bench/lib/launcher-flags.ts),
 * or without them with `--bare`; extra words after `--` are added (e.g. `-- --max-semi-space-size=4`).
 * `--bundle DIR/modelgate.mjs` runs another build instead of dist/modelgate.mjs, for an A/B.
 */
import { mkdtempSync, readFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { closedLoop } from "../lib/load.js";
import { pinSelf, stopProcess, treeRssMiB } from "../lib/processes.js";
import { startGateway, startMock, targetsFor } from "../lib/targets.js";

interface HeapReport {
  rssMiB: number;
  heapTotalMiB: number;
  heapUsedMiB: number;
  externalMiB: number;
  spaces: Record<string, { committedMiB: number; usedMiB: number }>;
}

const separator = process.argv.indexOf("--");
const gatewayFlags = separator > 0 ? process.argv.slice(separator + 1) : [];
const ownArguments = process.argv.slice(2, separator > 0 ? separator : undefined);
const collect = ownArguments.includes("--gc");
const bare = ownArguments.includes("--bare");
// `--bundle DIR/modelgate.mjs`: another build (an A/B baseline) instead of dist/.
const bundleIndex = ownArguments.indexOf("--bundle");
const bundle = bundleIndex >= 0 ? ownArguments[bundleIndex + 1] : undefined;
const preload = path.join(path.dirname(fileURLToPath(import.meta.url)), "heap-report-preload.mjs");

pinSelf(1);
const directory = mkdtempSync(path.join(os.tmpdir(), "modelgate-memory-"));
const reportPath = path.join(directory, "heap-report.json");
process.env.MODELGATE_HEAP_REPORT = reportPath;
if (collect) process.env.MODELGATE_HEAP_REPORT_COLLECT = "1";
const mock = await startMock(directory);
const gateway = await startGateway("modelgate", mock.port, directory, {
  nodeFlags: ["--import", preload, ...(collect ? ["--expose-gc"] : []), ...gatewayFlags],
  launcherFlags: !bare,
  serverSettings: { releaseIdleMemoryAfterMs: 5_000 },
  bundle,
});
const pid = gateway.started.child.pid;
if (pid === undefined) throw new Error("the gateway has no pid");

async function report(moment: string): Promise<void> {
  // A second for timers and lazy work to settle, as an idle gateway would.
  await new Promise((resolve) => setTimeout(resolve, 1_000));
  process.kill(pid as number, "SIGUSR2");
  await new Promise((resolve) => setTimeout(resolve, 300));
  const heap = JSON.parse(readFileSync(reportPath, "utf8")) as HeapReport;
  const space = (name: string): string => `${heap.spaces[name]?.committedMiB ?? 0} (${heap.spaces[name]?.usedMiB ?? 0} used)`;
  console.log(
    `${moment.padEnd(22)} tree RSS ${treeRssMiB(pid).toFixed(1)} MiB; heap ${heap.heapTotalMiB} committed, ${heap.heapUsedMiB} used; ` +
      `new space ${space("new_space")}, old space ${space("old_space")}; external ${heap.externalMiB}`,
  );
}

console.log(
  `node ${process.version}${collect ? ", collected before each reading" : ""}${bare ? ", without the launcher's flags" : ""}` +
    `${gatewayFlags.length > 0 ? `, gateway flags ${gatewayFlags.join(" ")}` : ""}`,
);
try {
  await report("started");
  const targets = targetsFor(gateway, mock.port);
  for (const target of targets) {
    await closedLoop(() => target.client.unary("mock-instant"), 8, 3_000);
    await closedLoop(() => target.client.stream("mock-stream-32-0").then(() => undefined), 8, 1_000);
  }
  await report("after c=8 warm-up");
  for (const target of targets) for (let index = 0; index < 1_000; index++) await target.client.unary("mock-instant");
  await report("after one at a time");
  // The gateway releases its young generation after server.releaseIdleMemoryAfterMs (off by default,
  // 5 s here) with an idle event loop, and tries again 5 s later if V8 kept it; report() waits a second.
  await new Promise((resolve) => setTimeout(resolve, 11_000));
  await report("after 12 s idle");
  for (const target of targets) await target.client.close();
} finally {
  await stopProcess(gateway.started);
  await stopProcess(mock.started);
}
