/**
 * Builds a page the gateway serves (the playground, the dashboard) from `src/<name>/`: index.html and
 * <name>.css as they are on disk (after any `extraCss`), and <name>.js bundled from app/<name>-app.ts
 * (with connect-web, the generated client and whatever the app imports) by esbuild. esbuild is loaded
 * only when a page is first opened, so a gateway that never serves one never loads it, and its service
 * process is stopped once no build runs: left running, it would hold its memory in the gateway's
 * process tree for the rest of the gateway's life, for a page built once. The sources are found from
 * the package root, not from this module's location: in the production bundle this code runs from
 * dist/, and the sources stay in src/.
 */
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { packageRoot } from "../../package-root.js";

/** One static file: its content type and bytes. */
export interface PageAsset {
  contentType: string;
  body: string;
}

/** The assets by file name: "index.html", "<name>.js", "<name>.css". */
export type PageAssets = ReadonlyMap<string, PageAsset>;

export interface PageSources {
  /** The folder under src/ and the asset names: "playground" → src/playground/, playground.js, playground.css. */
  name: string;
  /** Stylesheets put before the page's own, as paths from the package root (a library's CSS). */
  extraCss?: string[];
}

let buildsRunning = 0;

/** Reads and bundles every asset; rejects when esbuild reports an error. */
export async function buildPageAssets(page: PageSources): Promise<PageAssets> {
  const esbuild = await import("esbuild");
  buildsRunning++;
  try {
    return await bundleAssets(page, esbuild.build);
  } finally {
    buildsRunning--;
    if (buildsRunning === 0) await esbuild.stop();
  }
}

async function bundleAssets(page: PageSources, build: typeof import("esbuild").build): Promise<PageAssets> {
  const root = packageRoot();
  const sources = join(root, "src", page.name);
  const [html, css, bundle, ...extraCss] = await Promise.all([
    readFile(join(sources, "index.html"), "utf8"),
    readFile(join(sources, `${page.name}.css`), "utf8"),
    build({
      entryPoints: [join(sources, "app", `${page.name}-app.ts`)],
      bundle: true,
      write: false,
      format: "esm",
      platform: "browser",
      target: ["chrome111", "firefox111", "safari16.4"],
      minify: true,
      legalComments: "none",
      logLevel: "silent",
    }),
    ...(page.extraCss ?? []).map((path) => readFile(join(root, path), "utf8")),
  ]);
  return new Map([
    ["index.html", { contentType: "text/html; charset=utf-8", body: html }],
    [`${page.name}.css`, { contentType: "text/css; charset=utf-8", body: [...extraCss, css].join("\n") }],
    [`${page.name}.js`, { contentType: "text/javascript; charset=utf-8", body: bundle.outputFiles[0].text }],
  ]);
}
