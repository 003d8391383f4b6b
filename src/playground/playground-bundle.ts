/**
 * Builds the playground's assets: index.html and playground.css as they are on disk, and playground.js
 * bundled from ./app/playground-app.ts (plus connect-web and the generated client) with esbuild. esbuild
 * is loaded only when the playground is first opened, so a gateway that never serves it never loads it.
 */
import { readFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const HERE = dirname(fileURLToPath(import.meta.url));

/** One static file: its content type and bytes. */
export interface PlaygroundAsset {
  contentType: string;
  body: string;
}

/** The assets by file name: "index.html", "playground.js", "playground.css". */
export type PlaygroundAssets = ReadonlyMap<string, PlaygroundAsset>;

/** Reads and bundles every asset; rejects when esbuild reports an error. */
export async function buildPlaygroundAssets(): Promise<PlaygroundAssets> {
  const { build } = await import("esbuild");
  const [html, css, bundle] = await Promise.all([
    readFile(join(HERE, "index.html"), "utf8"),
    readFile(join(HERE, "playground.css"), "utf8"),
    build({
      entryPoints: [join(HERE, "app", "playground-app.ts")],
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
