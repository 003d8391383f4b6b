#!/usr/bin/env -S MALLOC_ARENA_MAX=2 node --max-semi-space-size=16 --no-allocation-site-pretenuring --expose-gc
// The `modelgate` command. Runs the production bundle dist/modelgate.mjs (`npm run build`) when it exists
// and is newer than every file in src/, gen/ and package-lock.json; otherwise runs src/main.ts through
// tsx (no build step needed, more memory), saying why on stderr when a bundle exists but is stale.
//
// The flags are on the shebang line because a script cannot set them for itself: V8 fixes its heap sizes
// and glibc reads MALLOC_ARENA_MAX when the process starts. `npm start` and the bench
// (bench/lib/launcher-flags.ts, which reads this line) pass the same ones; `node dist/modelgate.mjs` run
// by hand should too. NODE_OPTIONS can override or add to them. Why each is there (the measurements and
// the commands behind them: docs/benchmarks.md, "Memory" and the third and fourth passes):
// --max-semi-space-size=16 caps the young generation at 2 x 16 MiB, Node 20's own default; Node 24's V8
//   would let it grow to 128 MiB and keep that RSS after every burst.
// --no-allocation-site-pretenuring keeps a call's short-lived objects out of the old generation, where
//   V8 otherwise starts allocating them after a burst and every scavenge then copies what they point at.
// MALLOC_ARENA_MAX=2 caps glibc's malloc arenas (by default up to 8 per core), which Node 24's compiler
//   and GC threads otherwise fill; it overrides a deployment's own value (run node directly to choose).
// --expose-gc lets the idle memory release (`server.releaseIdleMemoryAfterMs`,
//   src/server/idle-memory-release.ts) run a collection once the gateway is idle.
// Where memory is shorter than CPU, NODE_OPTIONS=--max-semi-space-size=4 trades CPU for a smaller heap.
import { existsSync, readdirSync, statSync } from "node:fs";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const bundle = path.join(root, "dist", "modelgate.mjs");

/** The newest modification time among the bundle's inputs. */
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
