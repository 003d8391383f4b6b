/**
 * Builds the dashboard's assets: index.html as it is on disk, dashboard.css after uPlot's stylesheet,
 * and dashboard.js bundled from ./app/dashboard-app.ts (plus connect-web, uPlot and the generated
 * client) with esbuild. As for the playground (src/playground/playground-bundle.ts), esbuild is loaded
 * only when the page is first opened and stopped after the build, and the sources are found from the
 * package root, so the production bundle in dist/ builds them too.
 */
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { packageRoot } from "../package-root.js";

/** One static file: its content type and bytes. */
export interface DashboardAsset {
  contentType: string;
  body: string;
}

/** The assets by file name: "index.html", "dashboard.js", "dashboard.css". */
export type DashboardAssets = ReadonlyMap<string, DashboardAsset>;

let buildsRunning = 0;

/** Reads and bundles every asset; rejects when esbuild reports an error. */
export async function buildDashboardAssets(): Promise<DashboardAssets> {
  const esbuild = await import("esbuild");
  buildsRunning++;
  try {
    return await bundleAssets(esbuild.build);
  } finally {
    buildsRunning--;
    if (buildsRunning === 0) await esbuild.stop();
  }
}

async function bundleAssets(build: typeof import("esbuild").build): Promise<DashboardAssets> {
  const root = packageRoot();
  const sources = join(root, "src", "dashboard");
  const [html, uPlotCss, css, bundle] = await Promise.all([
    readFile(join(sources, "index.html"), "utf8"),
    readFile(join(root, "node_modules", "uplot", "dist", "uPlot.min.css"), "utf8"),
    readFile(join(sources, "dashboard.css"), "utf8"),
    build({
      entryPoints: [join(sources, "app", "dashboard-app.ts")],
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
    ["dashboard.css", { contentType: "text/css; charset=utf-8", body: `${uPlotCss}\n${css}` }],
    ["dashboard.js", { contentType: "text/javascript; charset=utf-8", body: bundle.outputFiles[0].text }],
  ]);
}
