/**
 * The production build: `npm run build` bundles `src/main.ts` with esbuild into `dist/modelgate.mjs`
 * (what `bin/modelgate.mjs`, `npm start` and the benchmark run), so a production gateway starts without
 * compiling TypeScript through a loader, and in less memory (figures: docs/benchmarks.md, "Memory").
 *
 * - node_modules are bundled too: importing a CommonJS package from ESM makes Node load its CJS lexer
 *   and keep every package's full source (comments included) in memory.
 * - Code splitting keeps dynamic imports lazy: gpt-tokenizer, the simulator and the engine's adapters
 *   stay in `dist/chunks/` until first imported, instead of being parsed at start.
 * - Whitespace and syntax are minified, identifiers are not (stack traces keep their names; the source
 *   map beside each file maps lines back). Stripping comments also keeps every source one-byte: a
 *   single non-Latin-1 character in a comment makes V8 hold the whole file as UTF-16.
 * - undici is reduced to the `Pool` that src/providers/http/pooled-client.ts uses (see `undiciPoolOnly`).
 * - esbuild is left external (a native binary, imported only when the playground page is first built)
 *   and resolved from node_modules at run time, so dist/ runs from inside this checkout. pino's worker
 *   transports use `__dirname` and do not work bundled; modelgate does not use them (pretty logs run
 *   pino-pretty in-process, see the logger).
 *
 * Run: `npm run build` (or `npx tsx scripts/build.ts [--outdir DIR]`).
 */
import { existsSync, readdirSync, rmSync } from "node:fs";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { build, type Metafile, type Plugin } from "esbuild";

const repositoryDirectory = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

/** Where `npm run build` writes: `dist/modelgate.mjs` and `dist/chunks/`. */
export const defaultOutdir = path.join(repositoryDirectory, "dist");

/**
 * undici's index loads every part of undici (fetch, cache, mocks, WebSocket, EventSource) and has no
 * exports map, so the bundle imports only the `Pool` and the request API that the index would have mixed
 * into `Dispatcher.prototype`, exactly as the index does (`Object.assign(Dispatcher.prototype, api)`).
 * If an undici upgrade moves these files the build fails; if it changes what the index sets up, the bench
 * smoke (which calls the mock upstream through the bundle) fails.
 */
const undiciPoolOnly: Plugin = {
  name: "undici-pool-only",
  setup(builder) {
    builder.onResolve({ filter: /^undici$/ }, () => ({ path: "undici", namespace: "undici-pool-only" }));
    builder.onLoad({ filter: /.*/, namespace: "undici-pool-only" }, () => ({
      contents: [
        'import Dispatcher from "undici/lib/dispatcher/dispatcher.js";',
        'import Pool from "undici/lib/dispatcher/pool.js";',
        'import api from "undici/lib/api/index.js";',
        "Object.assign(Dispatcher.prototype, api);",
        "export { Pool };",
      ].join("\n"),
      resolveDir: repositoryDirectory,
      loader: "js",
    }));
  },
};

export interface BundleOptions {
  /** Entry points by output name, e.g. `{ modelgate: "src/main.ts" }` writes `<outdir>/modelgate.mjs`. */
  entryPoints: Record<string, string>;
  /** Emptied first. */
  outdir: string;
}

/**
 * Bundles entry points for Node 20 the way the gateway is built; the benchmark builds its null server
 * with it too, so both run the same way.
 */
export async function bundleForNode(options: BundleOptions): Promise<Metafile> {
  rmSync(options.outdir, { recursive: true, force: true });
  const result = await build({
    entryPoints: Object.fromEntries(Object.entries(options.entryPoints).map(([name, entry]) => [name, path.resolve(repositoryDirectory, entry)])),
    outdir: options.outdir,
    bundle: true,
    splitting: true,
    format: "esm",
    platform: "node",
    target: "node20",
    outExtension: { ".js": ".mjs" },
    chunkNames: "chunks/[name]-[hash]",
    external: ["esbuild"],
    plugins: [undiciPoolOnly],
    minifyWhitespace: true,
    minifySyntax: true,
    legalComments: "none",
    sourcemap: "linked",
    // Bundled CommonJS packages call `require` for Node built-ins (and the externals above); ESM has none.
    banner: { js: 'import { createRequire as __createRequire } from "node:module"; const require = __createRequire(import.meta.url);' },
    metafile: true,
    logLevel: "warning",
  });
  return result.metafile;
}

/** Builds `dist/modelgate.mjs` (or into `outdir`) and returns the entry file's path. */
export async function buildGateway(outdir = defaultOutdir): Promise<string> {
  await bundleForNode({ entryPoints: { modelgate: "src/main.ts" }, outdir });
  const entry = path.join(outdir, "modelgate.mjs");
  if (!existsSync(entry)) throw new Error(`esbuild wrote no ${entry}`);
  return entry;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const index = process.argv.indexOf("--outdir");
  const outdir = index > 0 && process.argv[index + 1] !== undefined ? path.resolve(process.argv[index + 1]) : defaultOutdir;
  const started = performance.now();
  const entry = await buildGateway(outdir);
  const files = readdirSync(outdir, { recursive: true }).length;
  console.log(`built ${path.relative(process.cwd(), entry)} (${files} files in ${path.relative(process.cwd(), outdir) || "."}) in ${Math.round(performance.now() - started)} ms`);
}
