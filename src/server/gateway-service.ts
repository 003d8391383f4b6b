/**
 * modelgate.v1.GatewayService: the Connect edge of the core. It converts and validates requests, runs
 * them through the engine inside the RequestScope the interceptors opened (gateway-interceptors.ts), and
 * converts results and events back. Errors are thrown as they are; the interceptors map and log them.
 */
import type { HandlerContext, ServiceImpl } from "@connectrpc/connect";
import { setImmediate as nextEventLoopTurn } from "node:timers/promises";
import type { Logger } from "pino";
import type { CompleteRequest } from "../../gen/modelgate/v1/completion_pb.js";
import { GatewayService } from "../../gen/modelgate/v1/gateway_service_pb.js";
import type { StreamCompleteRequest } from "../../gen/modelgate/v1/stream_pb.js";
import type { ServerConfig } from "../config/schema.js";
import type { RequestScope } from "../gateway/request-scope.js";
import { GatewayError, type CompletionEngine, type GatewayRequest, type SharedStateStatus } from "../gateway/types.js";
import { toDeploymentStatsResponse, toListModelsResponse } from "./convert-catalog.js";
import { isUsableRequestId, toGatewayRequest } from "./convert-request.js";
import { toCompleteResponse, toStreamResponse } from "./convert-response.js";
import { createHealthMonitor, type HealthMonitor } from "../dashboard/health-monitor.js";
import { requestScopeKey } from "./interceptors/request-scope-key.js";
import { requestIdHeader } from "./request-id.js";
import { createWatchHealthHandler } from "./watch-health.js";

export interface GatewayServiceOptions {
  config: Pick<ServerConfig, "maxMessages" | "logPrompts">;
  logger: Logger;
  /** True while the server drains: new completions are refused with UNAVAILABLE / SHUTTING_DOWN. */
  isDraining?: () => boolean;
  /** Where shared state lives now, for GetDeploymentStats; default "memory". */
  sharedState?: () => SharedStateStatus;
  /** Live health for WatchHealth (src/dashboard/); one over `engine` alone (no splits, no fallbacks) when absent. */
  healthMonitor?: HealthMonitor;
}

/** The scope the deadline interceptor opened; a router without the gateway's interceptors is a wiring bug. */
function scopeOf(context: HandlerContext): RequestScope {
  const scope = context.values.get(requestScopeKey);
  if (scope === undefined) throw new GatewayError("INTERNAL", "the GatewayService runs without its interceptors");
  return scope;
}

/** Creates the GatewayService implementation over `engine`; register it with `createGatewayInterceptors`. */
export function createGatewayServiceImpl(engine: CompletionEngine, options: GatewayServiceOptions): ServiceImpl<typeof GatewayService> {
  const prepare = (context: HandlerContext, request: CompleteRequest | StreamCompleteRequest): { scope: RequestScope; request: GatewayRequest } => {
    const scope = scopeOf(context);
    scope.note({ model: request.model });
    if (isUsableRequestId(request.requestId) && request.requestId !== scope.requestId) {
      scope.useRequestId(request.requestId);
      context.responseHeader.set(requestIdHeader, request.requestId);
    }
    if (options.isDraining?.()) throw new GatewayError("SHUTTING_DOWN", "the gateway is shutting down");
    const gatewayRequest = toGatewayRequest(request, {
      maxMessages: options.config.maxMessages,
      headerRequestId: context.requestHeader.get(requestIdHeader) ?? undefined,
      generateRequestId: () => scope.requestId,
    });
    scope.note({ tags: gatewayRequest.routing.tags, metadata: gatewayRequest.routing.metadata });
    if (options.config.logPrompts) scope.logger().debug({ messages: gatewayRequest.messages, tools: gatewayRequest.tools }, "prompt");
    return { scope, request: gatewayRequest };
  };

  return {
    async complete(request, context) {
      const { scope, request: gatewayRequest } = prepare(context, request);
      const result = await engine.complete(gatewayRequest, scope);
      if (options.config.logPrompts) scope.logger().debug({ text: result.text, toolCalls: result.toolCalls }, "completion");
      scope.note({ usage: result.usage, costMicroUsd: result.costMicroUsd, route: result.route, timeToFirstTokenMs: result.timings.timeToFirstTokenMs });
      return toCompleteResponse(result);
    },

    async *streamComplete(request, context) {
      const { scope, request: gatewayRequest } = prepare(context, request);
      let finished = false;
      for await (const event of engine.stream(gatewayRequest, scope)) {
        if (event.type === "start") scope.note({ deployment: event.deployment, provider: event.provider });
        if (event.type === "finish") {
          scope.note({ usage: event.usage, costMicroUsd: event.costMicroUsd, route: event.route, timeToFirstTokenMs: event.timings.timeToFirstTokenMs });
          finished = true;
        }
        yield toStreamResponse(event);
        // A burst of deltas in one upstream read would otherwise leave in one write: give the socket a
        // turn after each, so every delta reaches the client as soon as it is handed over.
        if (event.type === "text-delta" || event.type === "reasoning-delta" || event.type === "tool-call-delta") await nextEventLoopTurn();
      }
      // The contract: a stream without finish failed. An engine that ends silently is a bug.
      if (!finished) throw new GatewayError("INTERNAL", "the stream ended without a finish event");
    },

    listModels() {
      return toListModelsResponse(engine.listModels());
    },

    async getDeploymentStats(request) {
      return toDeploymentStatsResponse(await engine.deploymentStats([...request.deployments]), options.sharedState?.() ?? "memory");
    },

    watchHealth: createWatchHealthHandler(options.healthMonitor ?? createHealthMonitor({ engine, sharedState: options.sharedState, logger: options.logger }), {
      isDraining: options.isDraining,
    }),
  };
}
