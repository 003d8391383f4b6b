/**
 * The `/dashboard` page (server/pages/page-route.ts), with uPlot's stylesheet before its own. Its data
 * comes from the WatchHealth RPC (src/server/watch-health.ts), not from this route. Wire it only when
 * `server.dashboard` is true.
 */
import { createPageRoute, type PageRoute, type PageRouteOptions } from "../server/pages/page-route.js";

/** The path the page is served at. */
export const DASHBOARD_PATH = "/dashboard";

export function createDashboardRoute(options: PageRouteOptions = {}): PageRoute {
  return createPageRoute({ name: "dashboard", extraCss: ["node_modules/uplot/dist/uPlot.min.css"] }, options);
}
