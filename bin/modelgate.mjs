#!/usr/bin/env -S MALLOC_ARENA_MAX=2 node --max-semi-space-size=16 --no-allocation-site-pretenuring --expose-gc
// The `modelgate` command. Runs the production bundle dist/modelgate.mjs (`npm run build`) when it exists
// and is newer than every file in src/, gen/ and package-lock.json; otherwise runs src/main.ts through
// tsx (no build step needed, ~50 MiB more RSS), saying why on stderr when a bundle exists but is stale.
//
// The V8 flags are on the shebang line because a script cannot set them for itself: at run time
// `v8.setFlagsFromString` leaves the heap sizes unchanged (Node 20 and 24). So is MALLOC_ARENA_MAX,
// which glibc reads once, when the process starts. `npm start` and the bench
// (bench/lib/launcher-flags.ts, which reads this line) pass the same ones; `node dist/modelgate.mjs` run
// by hand should too. NODE_OPTIONS can override or add to them.
//
// --max-semi-space-size=16 caps the young generation at 2 x 16 MiB. That is Node 20's own default, so
//   there it changes nothing; Node 24's V8 lets it grow to 128 MiB, which put the gateway's RSS after a
//   burst at ~280 MiB against ~200 with the cap (bench/memory/memory-phases.ts), at no CPU cost
//   (bench/steady.ts --node-flags: ratio 0.92 on Connect, 1.005 on grpc-js).
// --no-allocation-site-pretenuring keeps a call's short-lived objects out of the old generation. Under
//   a burst V8 learns to allocate some of them straight in old space; dead there until the next full
//   GC, they keep what they point at alive through every scavenge. On Node 20 each scavenge then copied
//   ~0.7 MB and paused the gateway for 4-6 ms, every ~200 calls one at a time; with the flag ~50 KB and
//   ~1 ms (bench/gc/gateway-gc-trace.ts, with and without --bare), at no CPU cost (bench/steady.ts
//   --bare-baseline: ratio 0.95). On Node 24 the same symptom had another cause, a per-request closure
//   in the upstream exchange, now gone (src/providers/http/upstream-exchange.ts); the flag is harmless
//   there, and Node 22 showed neither problem. --no-maglev was measured too and is not set: on Node 24 it cost 1.6-1.8x CPU per request
//   for the first ~7 s under load (docs/benchmarks.md, third pass).
// MALLOC_ARENA_MAX=2 caps glibc's malloc arenas (by default up to 8 per core, one per thread that
//   allocates). On Node 24, whose compiler and GC threads allocate more with malloc, the gateway's RSS
//   after a burst was 16-21 MiB lower with it (170.7-173.4 against 186.4-194.2 MiB in four runs each of
//   bench/memory/memory-phases.ts) and its peak under the quick run's load 186 against 207 MiB; Node 20
//   showed no clear change. CPU per request was even on both (bench/steady.ts --env: ratios 0.91-1.04).
//   A deployment's own MALLOC_ARENA_MAX is overridden; run node directly to choose another.
// --expose-gc lets the gateway give the young generation's ~30 MiB back to the OS once it has been
//   idle for `server.releaseIdleMemoryAfterMs` (src/server/idle-memory-release.ts): an idle Node
//   process runs no collection, and V8 shrinks that space only at the end of one.
//
// Smaller semi-space caps were measured on Node 20 (docs/benchmarks.md): =4 cut RSS after warm-up from
// ~119 to ~95 MiB but cost 5-20% more CPU per unary request; =1 cost 25-37%; --optimize-for-size 2-3x.
// Where memory is shorter than CPU, pass NODE_OPTIONS=--max-semi-space-size=4.
import { existsSync, readdirSync, statSync } from "node:fs";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const bundle = path.join(root, "dist", "modelgate.mjs");

/** The newest modification time among the bundle's inputs (a few ms for ~400 files). */
function newestSourceMs() {
  let newest = statSync(path.join(root, "package-lock.json"), { throwIfNoEntry: false })?.mtimeMs ?? 0;
  for (const folder of ["src", "gen"]) {
    for (const entry of readdirSync(path.join(root, folder), { recursive: true, withFileTypes: true })) {
      if (entry.isFile()) newest = Math.max(newest, statSync(path.join(entry.parentPath, entry.name)).mtimeMs);
    }
  }
  return newest;
}

let main;
if (existsSync(bundle) && statSync(bundle).mtimeMs >= newestSourceMs()) {
  ({ main } = await import(pathToFileURL(bundle).href));
} else {
  if (existsSync(bundle)) process.stderr.write("modelgate: dist/modelgate.mjs is older than src/ (run `npm run build`); running src/ through tsx\n");
  const { register } = await import("tsx/esm/api");
  register();
  ({ main } = await import("../src/main.ts"));
}
process.exitCode = await main(process.argv.slice(2));
