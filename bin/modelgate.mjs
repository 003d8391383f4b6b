#!/usr/bin/env node
// The `modelgate` command. Runs the production bundle dist/modelgate.mjs (`npm run build`) when it exists
// and is newer than every file in src/, gen/ and package-lock.json; otherwise runs src/main.ts through
// tsx (no build step needed, ~50 MiB more RSS), saying why on stderr when a bundle exists but is stale.
//
// No V8 flags are set here: a script cannot set its own heap sizes (`v8.setFlagsFromString` after start
// leaves them unchanged), and none was free. Measured on the bench config against the bundle
// (docs/benchmarks.md): --max-semi-space-size=4 cut RSS after warm-up from ~119 to ~95 MiB but cost
// 5-20% more CPU per unary request; =1 cost 25-37%; --optimize-for-size 2-3x. Where memory is shorter
// than CPU, pass NODE_OPTIONS=--max-semi-space-size=4.
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
