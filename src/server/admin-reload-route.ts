/**
 * `POST /admin/reload` as a plain-HTTP route for the server's `extraRoutes`: re-reads the config file
 * and answers whether the new config was applied (200) or lists its problems (422). The route exists
 * only while the serving config has an admin token (`server.admin.token`); otherwise it is a 404 like
 * any unknown path. The bearer token is compared in constant time and never logged.
 */
import { createHash, timingSafeEqual } from "node:crypto";
import type { Logger } from "pino";
import type { ReloadOutcome } from "../config/config-reloader.js";
import type { ExtraRoutes } from "./node-handler.js";

export const ADMIN_RELOAD_PATH = "/admin/reload";

export interface AdminReloadRouteOptions {
  /** The admin token of the config serving now; undefined or empty turns the route off. */
  token(): string | undefined;
  /** Re-reads and applies the config file. */
  reload(): Promise<ReloadOutcome>;
  logger: Logger;
}

/** Equal strings, in time that depends on neither string: both are hashed to the same length first. */
function sameSecret(given: string, expected: string): boolean {
  const digest = (text: string): Buffer => createHash("sha256").update(text).digest();
  return timingSafeEqual(digest(given), digest(expected));
}

function bearerToken(header: string | string[] | undefined): string | undefined {
  const value = Array.isArray(header) ? header[0] : header;
  const match = value === undefined ? null : /^Bearer\s+(\S+)\s*$/i.exec(value);
  return match === null ? undefined : match[1];
}

export function createAdminReloadRoute(options: AdminReloadRouteOptions): ExtraRoutes {
  return function adminReloadRoute(request, response) {
    const path = (request.url ?? "").split("?", 1)[0];
    const token = options.token();
    if (path !== ADMIN_RELOAD_PATH || token === undefined || token === "") return false;
    // The body means nothing here; read and drop it so the connection stays usable.
    request.resume();
    const answer = (status: number, body: Record<string, unknown>, headers: Record<string, string> = {}): void => {
      if (response.destroyed || response.writableEnded) return;
      response.writeHead(status, { "content-type": "application/json", "cache-control": "no-store", ...headers });
      response.end(`${JSON.stringify(body)}\n`);
    };
    if (request.method !== "POST") {
      answer(405, { error: "use POST" }, { allow: "POST" });
      return true;
    }
    const given = bearerToken(request.headers.authorization);
    if (given === undefined || !sameSecret(given, token)) {
      options.logger.warn({ remote: request.socket.remoteAddress }, "admin reload refused: missing or wrong bearer token");
      answer(401, { error: "a valid bearer token is required" }, { "www-authenticate": 'Bearer realm="modelgate-admin"' });
      return true;
    }
    options.reload().then(
      (outcome) => answer(outcome.status === "refused" ? 422 : 200, { applied: outcome.status === "applied", ...outcome }),
      (error: unknown) => {
        options.logger.error({ err: error }, "admin reload failed");
        answer(500, { applied: false, status: "failed", error: "the reload failed; see the gateway log" });
      },
    );
    return true;
  };
}
