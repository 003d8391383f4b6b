/**
 * Writes exactly one info line per call when it ends: request id, method, model, the deployment that
 * served, status, latency, tokens, cost and attempts, or the error's reason. Prompt text is never part
 * of it. An INTERNAL error is also logged with its cause (the client saw only "internal error").
 */
import { Code, ConnectError, type Interceptor } from "@connectrpc/connect";
import type { Logger } from "pino";
import { GatewayError } from "../../gateway/gateway-error.js";
import { requestIdKey } from "../request-id.js";
import { observeCall } from "./observe-call.js";
import { requestScopeKey } from "./request-scope-key.js";

/** "INVALID_ARGUMENT" for Code.InvalidArgument, and so on. */
const statusNames: Record<number, string> = Object.fromEntries(
  Object.entries(Code)
    .filter(([, value]) => typeof value === "number")
    .map(([name, value]) => [value, name.replace(/([a-z])([A-Z])/g, "$1_$2").toUpperCase()]),
);

export function callLogInterceptor(logger: Logger, now: () => number = Date.now): Interceptor {
  return (next) => (request) => {
    const startedAt = now();
    return observeCall(next, request, ({ error, abandoned }) => {
      if (error !== undefined && ConnectError.from(error).code === Code.Internal) {
        const connectError = ConnectError.from(error);
        logger.error({ err: connectError.cause ?? error, requestId: request.contextValues.get(requestScopeKey)?.requestId, method: request.method.name }, "call failed with an internal error");
      }
      if (!logger.isLevelEnabled("info")) return error;
      const scope = request.contextValues.get(requestScopeKey);
      const outcome = scope?.outcome ?? {};
      const line: Record<string, unknown> = {
        requestId: scope?.requestId ?? request.contextValues.get(requestIdKey),
        method: request.method.name,
        model: outcome.model,
        deployment: outcome.deployment ?? outcome.route?.deployment,
        provider: outcome.provider ?? outcome.route?.provider,
        status: "OK",
        latencyMs: Math.round(now() - startedAt),
        inputTokens: outcome.usage?.inputTokens,
        outputTokens: outcome.usage?.outputTokens,
        costMicroUsd: outcome.costMicroUsd,
        attempts: outcome.route?.attempts.length,
      };
      if (abandoned) {
        Object.assign(line, { status: statusNames[Code.Canceled], reason: "CANCELED", error: "the client went away" });
      } else if (error !== undefined) {
        const connectError = ConnectError.from(error);
        const cause: unknown = connectError.cause;
        const route = cause instanceof GatewayError ? cause.failure?.route : undefined;
        if (route !== undefined) {
          line.deployment ??= route.deployment;
          line.provider ??= route.provider;
          line.attempts = route.attempts.length;
        }
        Object.assign(line, {
          status: statusNames[connectError.code],
          reason: cause instanceof GatewayError ? cause.reason : undefined,
          error: connectError.rawMessage,
        });
      }
      logger.info(line, "call finished");
      return error;
    }) as never;
  };
}
