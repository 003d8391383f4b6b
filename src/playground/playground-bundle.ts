/**
 * Builds the playground's assets: index.html and playground.css as they are on disk, and playground.js
 * bundled from ./app/playground-app.ts (plus connect-web and the generated client) with esbuild. esbuild
 * is loaded only when the playground is first opened, so a gateway that never serves it never loads it.
 * The sources are found from the package root, not from this module's location: in the production
 * bundle this code runs from dist/, and the sources stay in src/playground/.
 */
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { packageRoot } from "../package-root.js";

/** One static file: its content type and bytes. */
export interface PlaygroundAsset {
  contentType: string;
  body: string;
}

/** The assets by file name: "index.html", "playground.js", "playground.css". */
export type PlaygroundAssets = ReadonlyMap<string, PlaygroundAsset>;

let buildsRunning = 0;

/**
 * Reads and bundles every asset; rejects when esbuild reports an error. Once no build is running, the
 * esbuild service process is stopped: left running, it would hold its memory in the gateway's process
 * tree for the rest of the gateway's life, for a page built once.
 */
export async function buildPlaygroundAssets(): Promise<PlaygroundAssets> {
  const esbuild = await import("esbuild");
  buildsRunning++;
  try {
    return await bundleAssets(esbuild.build);
  } finally {
    buildsRunning--;
    if (buildsRunning === 0) await esbuild.stop();
  }
}

async function bundleAssets(build: typeof import("esbuild").build): Promise<PlaygroundAssets> {
  const sources = join(packageRoot(), "src", "playground");
  const [html, css, bundle] = await Promise.all([
    readFile(join(sources, "index.html"), "utf8"),
    readFile(join(sources, "playground.css"), "utf8"),
    build({
      entryPoints: [join(sources, "app", "playground-app.ts")],
      bundle: true,
      write: false,
      format: "esm",
      platform: "browser",
      target: ["chrome111", "firefox111", "safari16.4"],
      minify: true,
      legalComments: "none",
      logLevel: "silent",
    }),
  ]);
  return new Map([
    ["index.html", { contentType: "text/html; charset=utf-8", body: html }],
    ["playground.css", { contentType: "text/css; charset=utf-8", body: css }],
    ["playground.js", { contentType: "text/javascript; charset=utf-8", body: bundle.outputFiles[0].text }],
  ]);
}
