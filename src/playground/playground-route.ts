/**
 * The `/playground` page (server/pages/page-route.ts): a chat against the gateway that serves it. Wire it
 * only when `server.playground` is true.
 */
import { createPageRoute, type PageRoute, type PageRouteOptions } from "../server/pages/page-route.js";

/** The path the page is served at. */
export const PLAYGROUND_PATH = "/playground";

export function createPlaygroundRoute(options: PageRouteOptions = {}): PageRoute {
  return createPageRoute({ name: "playground" }, options);
}
