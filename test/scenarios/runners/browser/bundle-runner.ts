/**
 * Bundles ./runner-entry.ts for the browser with esbuild. The shared runner files were written for Node:
 * scenario.ts reads files with node:fs/node:path/node:url (the browser never calls those functions, but
 * the module computes SCENARIOS_DIR at load), and node-connect.ts imports connect-node and checks
 * `process.argv` for its command-line mode. Rather than fork that code, the bundle swaps those imports
 * for inert stand-ins, so the browser runs exactly the transcript code every other runner runs.
 */
import { build, type Plugin } from "esbuild";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const ENTRY = join(dirname(fileURLToPath(import.meta.url)), "runner-entry.ts");

/** Stand-ins for the Node-only modules, by import path. Calling any of them in the browser is a bug. */
const STAND_INS: Record<string, string> = {
  "node:fs": `const unavailable = () => { throw new Error("node:fs is not available in the browser runner"); };
export const readFileSync = unavailable, readdirSync = unavailable;`,
  "node:path": `export const join = (...parts) => parts.join("/");
export const dirname = (path) => path.slice(0, path.lastIndexOf("/"));
export const basename = (path, suffix = "") => { const name = path.slice(path.lastIndexOf("/") + 1); return suffix && name.endsWith(suffix) ? name.slice(0, -suffix.length) : name; };`,
  "node:url": `export const fileURLToPath = (url) => new URL(String(url)).pathname;`,
  "@connectrpc/connect-node": `const unavailable = () => { throw new Error("connect-node is not available in the browser runner; use connect-web"); };
export const createConnectTransport = unavailable, createGrpcTransport = unavailable;`,
};

const nodeStandIns: Plugin = {
  name: "node-stand-ins",
  setup(builder) {
    const filter = new RegExp(`^(${Object.keys(STAND_INS).map((name) => name.replace(/[/.]/g, "\\$&")).join("|")})$`);
    builder.onResolve({ filter }, (args) => ({ path: args.path, namespace: "stand-in" }));
    builder.onLoad({ filter: /.*/, namespace: "stand-in" }, (args) => ({ contents: STAND_INS[args.path], loader: "js" }));
  },
};

/** The runner bundle: one ES module (node-connect.ts has a top-level await, so not an IIFE). */
export async function bundleRunner(): Promise<string> {
  const result = await build({
    entryPoints: [ENTRY],
    bundle: true,
    write: false,
    format: "esm",
    platform: "browser",
    target: "chrome120",
    sourcemap: "inline",
    // node-connect.ts's command-line check; `[][1]?.endsWith(...)` is undefined, so that branch never runs.
    define: { "process.argv": "[]" },
    plugins: [nodeStandIns],
    logLevel: "silent",
  });
  return result.outputFiles[0].text;
}
