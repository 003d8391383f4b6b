// Preloaded into the gateway by bench/memory/memory-phases.ts: on SIGUSR2, writes RSS and V8's heap
// spaces to the file in MODELGATE_HEAP_REPORT (after a full GC first when MODELGATE_HEAP_REPORT_COLLECT
// is 1; the gateway then runs with --expose-gc), so the tool can read what the process holds at a given
// moment without a profiler. The `modelgate` command exposes gc too, so its presence alone says nothing.
import { writeFileSync } from "node:fs";
import v8 from "node:v8";

const reportPath = process.env.MODELGATE_HEAP_REPORT;
if (reportPath !== undefined) {
  process.on("SIGUSR2", () => {
    if (process.env.MODELGATE_HEAP_REPORT_COLLECT === "1") globalThis.gc();
    const mib = (bytes) => Math.round((bytes / 1048576) * 10) / 10;
    const spaces = Object.fromEntries(v8.getHeapSpaceStatistics().map((space) => [space.space_name, { committedMiB: mib(space.space_size), usedMiB: mib(space.space_used_size) }]));
    const memory = process.memoryUsage();
    writeFileSync(reportPath, JSON.stringify({ rssMiB: mib(memory.rss), heapTotalMiB: mib(memory.heapTotal), heapUsedMiB: mib(memory.heapUsed), externalMiB: mib(memory.external), spaces }));
  });
}
