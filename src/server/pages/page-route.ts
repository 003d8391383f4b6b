/**
 * A page the gateway serves (the playground, the dashboard) as a plain-HTTP route for the server's
 * `extraRoutes` hook: `/<name>` serves the page, `/<name>/<name>.js` and `/<name>/<name>.css` its
 * assets. The page calls the gateway that served it (same origin, so no CORS entry is needed). Assets
 * are built on the first request and kept in memory; a failed build is answered with 500 and retried on
 * the next request.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Http2ServerRequest, Http2ServerResponse } from "node:http2";
import type { Logger } from "pino";
import { buildPageAssets, type PageAssets, type PageSources } from "./page-assets.js";

/** Accepts HTTP/1.1 and HTTP/2 requests alike, so it fits the server's `ExtraRoutes`. */
export type PageRoute = (request: IncomingMessage | Http2ServerRequest, response: ServerResponse | Http2ServerResponse) => boolean;

export interface PageRouteOptions {
  /** Where build failures are reported. */
  logger?: Logger;
}

// The page loads only its own script and stylesheet and talks only to its own origin.
const SECURITY_HEADERS = {
  "content-security-policy": "default-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
  "cache-control": "no-cache",
};

/** Returns the route: true when it handled the request (any path under `/<name>`), false otherwise. */
export function createPageRoute(page: PageSources, options: PageRouteOptions = {}): PageRoute {
  const base = `/${page.name}`;
  /** Maps a request path to an asset name, or undefined when the path is not the page's. */
  const assetName = (path: string): string | undefined => {
    if (path === base || path === `${base}/` || path === `${base}/index.html`) return "index.html";
    if (path === `${base}/${page.name}.js`) return `${page.name}.js`;
    if (path === `${base}/${page.name}.css`) return `${page.name}.css`;
    return undefined;
  };
  let assets: Promise<PageAssets> | undefined;
  const loadAssets = (): Promise<PageAssets> => {
    assets ??= buildPageAssets(page).catch((error: unknown) => {
      assets = undefined;
      throw error;
    });
    return assets;
  };

  return function pageRoute(request, response) {
    const path = (request.url ?? "").split("?", 1)[0];
    if (path !== base && !path.startsWith(`${base}/`)) return false;
    const name = assetName(path);
    if (name === undefined) {
      response.writeHead(404, { "content-type": "text/plain; charset=utf-8" });
      response.end("not found\n");
      return true;
    }
    if (request.method !== "GET" && request.method !== "HEAD") {
      response.writeHead(405, { allow: "GET, HEAD", "content-type": "text/plain; charset=utf-8" });
      response.end("method not allowed\n");
      return true;
    }
    loadAssets().then(
      (loaded) => {
        const asset = loaded.get(name);
        if (asset === undefined) return failed(new Error(`${page.name} asset ${name} was not built`));
        response.writeHead(200, { ...SECURITY_HEADERS, "content-type": asset.contentType, "content-length": String(Buffer.byteLength(asset.body)) });
        if (request.method === "HEAD") response.end();
        else response.end(asset.body);
      },
      (error: unknown) => failed(error),
    );
    function failed(error: unknown): void {
      options.logger?.error({ err: error }, `building the ${page.name} failed`);
      if (response.headersSent) return;
      response.writeHead(500, { "content-type": "text/plain; charset=utf-8" });
      response.end(`the ${page.name} could not be built; see the gateway log\n`);
    }
    return true;
  };
}
