/**
 * The `/dashboard` page as a plain-HTTP route for the gateway server's `extraRoutes` hook: `/dashboard`
 * serves the page, `/dashboard/dashboard.js` and `/dashboard/dashboard.css` its assets. The page
 * calls the gateway that served it (same origin, so no CORS entry is needed). Assets are built on the
 * first request and kept in memory; a failed build is answered with 500 and retried on the next request.
 * The page's data comes from the WatchHealth RPC (src/server/watch-health.ts), not from this route.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Http2ServerRequest, Http2ServerResponse } from "node:http2";
import type { Logger } from "pino";
import { buildDashboardAssets, type DashboardAssets } from "./dashboard-bundle.js";

/** The path the page is served at. */
export const DASHBOARD_PATH = "/dashboard";

/** Accepts HTTP/1.1 and HTTP/2 requests alike, so it fits the server's `ExtraRoutes`. */
export type DashboardRoute = (
  request: IncomingMessage | Http2ServerRequest,
  response: ServerResponse | Http2ServerResponse,
) => boolean;

export interface DashboardRouteOptions {
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

/** Maps a request path to an asset name, or undefined when the path is not the dashboard's. */
function assetName(path: string): string | undefined {
  if (path === DASHBOARD_PATH || path === `${DASHBOARD_PATH}/` || path === `${DASHBOARD_PATH}/index.html`) return "index.html";
  if (path === `${DASHBOARD_PATH}/dashboard.js`) return "dashboard.js";
  if (path === `${DASHBOARD_PATH}/dashboard.css`) return "dashboard.css";
  return undefined;
}

/**
 * Returns the route: true when it handled the request (any path under `/dashboard`), false otherwise.
 * Wire it only when `server.dashboard` is true.
 */
export function createDashboardRoute(options: DashboardRouteOptions = {}): DashboardRoute {
  let assets: Promise<DashboardAssets> | undefined;
  const loadAssets = (): Promise<DashboardAssets> => {
    assets ??= buildDashboardAssets().catch((error: unknown) => {
      assets = undefined;
      throw error;
    });
    return assets;
  };

  return function dashboardRoute(request, response) {
    const path = (request.url ?? "").split("?", 1)[0];
    if (path !== DASHBOARD_PATH && !path.startsWith(`${DASHBOARD_PATH}/`)) return false;
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
        if (asset === undefined) return failed(new Error(`dashboard asset ${name} was not built`));
        response.writeHead(200, {
          ...SECURITY_HEADERS,
          "content-type": asset.contentType,
          "content-length": String(Buffer.byteLength(asset.body)),
        });
        if (request.method === "HEAD") response.end();
        else response.end(asset.body);
      },
      (error: unknown) => failed(error),
    );
    function failed(error: unknown): void {
      options.logger?.error({ err: error }, "building the dashboard failed");
      if (response.headersSent) return;
      response.writeHead(500, { "content-type": "text/plain; charset=utf-8" });
      response.end("the dashboard could not be built; see the gateway log\n");
    }
    return true;
  };
}
