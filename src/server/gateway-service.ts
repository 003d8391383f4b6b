/**
 * modelgate.v1.GatewayService: the ONE implementation behind gRPC, gRPC-Web and Connect. It validates
 * and converts requests, hands the engine a signal that fires on client cancel, deadline or shutdown,
 * converts results and events back, and sends every error through `toConnectError`.
 */
import type { HandlerContext, ServiceImpl } from "@connectrpc/connect";
import { setImmediate as nextEventLoopTurn } from "node:timers/promises";
import type { Logger } from "pino";
import { GatewayService } from "../../gen/modelgate/v1/gateway_service_pb.js";
import type { CompleteRequest } from "../../gen/modelgate/v1/completion_pb.js";
import type { StreamCompleteRequest } from "../../gen/modelgate/v1/stream_pb.js";
import type { ServerConfig } from "../config/schema.js";
import { GatewayError, type CompletionEngine, type GatewayRequest } from "../gateway/types.js";
import { openCallScope, type CallScope, type CallScopeSettings } from "./call-scope.js";
import { toDeploymentStatsResponse, toListModelsResponse } from "./convert-catalog.js";
import { isUsableRequestId, toGatewayRequest } from "./convert-request.js";
import { toCompleteResponse, toStreamResponse } from "./convert-response.js";

export interface GatewayServiceOptions {
  config: Pick<ServerConfig, "maxMessages" | "defaultDeadlineMs" | "maxDeadlineMs" | "logPrompts">;
  logger: Logger;
  /** True while the server drains: new completions are refused with UNAVAILABLE / SHUTTING_DOWN. */
  isDraining?: () => boolean;
  /** Clock for latency and deadlines; Date.now by default. */
  now?: () => number;
}

/*
 * Why streamComplete waits one event-loop turn after handing over each delta: when the upstream sends
 * a burst (several deltas in one read), the whole chain from the upstream body to the client's socket
 * runs as one sequence of microtasks, and sockets only write when the loop gets a turn (HTTP/1.1
 * uncorks on nextTick, HTTP/2 sends from setImmediate). Without the turn, the first delta waits for the
 * whole burst to be processed (measured with an instant 32-delta upstream: one writev with every
 * delta, +13–38 ms time to first token); with it, each delta leaves as soon as it is handed over.
 */

/** Creates the GatewayService implementation over `engine`. */
export function createGatewayServiceImpl(
  engine: CompletionEngine,
  options: GatewayServiceOptions,
): ServiceImpl<typeof GatewayService> {
  const settings: CallScopeSettings = {
    defaultDeadlineMs: options.config.defaultDeadlineMs,
    maxDeadlineMs: options.config.maxDeadlineMs,
    logger: options.logger,
    now: options.now,
  };

  const prepare = (scope: CallScope, request: CompleteRequest | StreamCompleteRequest): GatewayRequest => {
    scope.setModel(request.model);
    if (isUsableRequestId(request.requestId)) scope.useRequestId(request.requestId);
    if (options.isDraining?.()) throw new GatewayError("SHUTTING_DOWN", "the gateway is shutting down");
    const gatewayRequest = toGatewayRequest(request, {
      maxMessages: options.config.maxMessages,
      generateRequestId: () => scope.requestId(),
    });
    if (options.config.logPrompts) {
      scope.logger().debug({ messages: gatewayRequest.messages, tools: gatewayRequest.tools }, "prompt");
    }
    return gatewayRequest;
  };

  /** Runs one unary call inside its scope: every error goes through `scope.fail`, and the scope always ends. */
  const inScope = async <T>(method: string, context: HandlerContext, run: (scope: CallScope) => Promise<T>): Promise<T> => {
    const scope = openCallScope(method, context, settings);
    try {
      return await run(scope);
    } catch (error) {
      throw scope.fail(error);
    } finally {
      scope.end();
    }
  };

  return {
    complete(request, context) {
      return inScope("Complete", context, async (scope) => {
        const gatewayRequest = prepare(scope, request);
        const result = await engine.complete(gatewayRequest, scope.callContext);
        if (options.config.logPrompts) scope.logger().debug({ text: result.text, toolCalls: result.toolCalls }, "completion");
        scope.succeed({ usage: result.usage, costMicroUsd: result.costMicroUsd, route: result.route });
        return toCompleteResponse(result);
      });
    },

    async *streamComplete(request, context) {
      const scope = openCallScope("StreamComplete", context, settings);
      try {
        const gatewayRequest = prepare(scope, request);
        let finished = false;
        for await (const event of engine.stream(gatewayRequest, scope.callContext)) {
          if (event.type === "start") scope.note({ deployment: event.deployment, provider: event.provider });
          if (event.type === "finish") {
            scope.note({ usage: event.usage, costMicroUsd: event.costMicroUsd, route: event.route });
            finished = true;
          }
          yield toStreamResponse(event);
          if (event.type === "text-delta" || event.type === "reasoning-delta" || event.type === "tool-call-delta") await nextEventLoopTurn();
        }
        // The contract: a stream without finish failed. An engine that ends silently is a bug.
        if (!finished) throw new GatewayError("INTERNAL", "the stream ended without a finish event");
        scope.succeed();
      } catch (error) {
        throw scope.fail(error);
      } finally {
        scope.end();
      }
    },

    listModels(_request, context) {
      return inScope("ListModels", context, async (scope) => {
        const response = toListModelsResponse(engine.listModels());
        scope.succeed();
        return response;
      });
    },

    getDeploymentStats(request, context) {
      return inScope("GetDeploymentStats", context, async (scope) => {
        const response = toDeploymentStatsResponse(await engine.deploymentStats([...request.deployments]));
        scope.succeed();
        return response;
      });
    },
  };
}
