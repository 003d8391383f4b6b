/**
 * The WatchHealth handler: health snapshots from the monitor (src/dashboard/health-monitor.ts) as
 * stream messages. The stream ends without error a second before the call's deadline (a client that
 * set none gets `server.defaultDeadlineMs`), when the client goes away, and within one interval of the
 * server starting to drain, so an open dashboard never holds a shutdown for its grace period.
 */
import type { HandlerContext } from "@connectrpc/connect";
import type { WatchHealthRequest, WatchHealthResponse } from "../../gen/modelgate/v1/gateway_service_pb.js";
import type { HealthMonitor } from "../dashboard/health-monitor.js";
import { GatewayError } from "../gateway/types.js";
import { toWatchHealthResponse } from "./convert-health.js";
import { requestScopeKey } from "./interceptors/request-scope-key.js";

/** How long before the deadline the stream ends on its own, so it ends OK rather than DEADLINE_EXCEEDED. */
const END_BEFORE_DEADLINE_MS = 1_000;

export interface WatchHealthOptions {
  /** True while the server drains. */
  isDraining?: () => boolean;
}

export function createWatchHealthHandler(
  monitor: HealthMonitor,
  options: WatchHealthOptions = {},
): (request: WatchHealthRequest, context: HandlerContext) => AsyncGenerator<WatchHealthResponse, void, undefined> {
  return async function* watchHealth(request, context) {
    const scope = context.values.get(requestScopeKey);
    if (scope === undefined) throw new GatewayError("INTERNAL", "the GatewayService runs without its interceptors");
    if (options.isDraining?.()) throw new GatewayError("SHUTTING_DOWN", "the gateway is shutting down");
    const snapshots = monitor.watch({ signal: scope.signal, deployments: request.deployments, endAt: scope.deadlineAt - END_BEFORE_DEADLINE_MS });
    for await (const snapshot of snapshots) {
      yield toWatchHealthResponse(snapshot);
      if (options.isDraining?.()) return;
    }
  };
}
