/**
 * `GET /metrics`: the Prometheus text exposition (observability/metrics.ts), as a plain-HTTP route for
 * the server's `extraRoutes`. Unauthenticated like most scrape targets: it carries deployment names,
 * counts and costs, never keys, prompts or request ids (`server.metrics: false` turns it off).
 */
import type { Logger } from "pino";
import type { GatewayMetrics } from "../observability/metrics.js";
import type { ExtraRoutes } from "./node-handler.js";

export const METRICS_PATH = "/metrics";

export function createMetricsRoute(metrics: GatewayMetrics, logger: Logger): ExtraRoutes {
  return function metricsRoute(request, response) {
    const path = (request.url ?? "").split("?", 1)[0];
    if (path !== METRICS_PATH) return false;
    request.resume();
    if (request.method !== "GET" && request.method !== "HEAD") {
      response.writeHead(405, { allow: "GET, HEAD" }).end();
      return true;
    }
    metrics.scrape().then(
      (text) => {
        if (response.destroyed) return;
        response.writeHead(200, { "content-type": metrics.contentType, "cache-control": "no-store" });
        if (request.method === "HEAD") response.end();
        else response.end(text);
      },
      (error: unknown) => {
        logger.error({ err: error }, "metrics scrape failed");
        if (!response.headersSent) response.writeHead(500).end();
      },
    );
    return true;
  };
}
