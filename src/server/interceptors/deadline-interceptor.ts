/**
 * Opens the call's RequestScope with its deadline: the client's (read with connect's own timeout
 * parsers), or `defaultDeadlineMs` when it sent none. A deadline above `maxDeadlineMs` is refused with
 * INVALID_ARGUMENT on `grpc-timeout`. Everything after this interceptor, the service included, sees the
 * scope's signal: it aborts with a GatewayError on the deadline, the client's cancel or the shutdown.
 */
import type { Interceptor } from "@connectrpc/connect";
import { parseTimeout as parseConnectTimeout } from "@connectrpc/connect/protocol-connect";
import { parseTimeout as parseGrpcTimeout } from "@connectrpc/connect/protocol-grpc";
import type { Logger } from "pino";
import { GatewayError } from "../../gateway/gateway-error.js";
import { openRequestScope } from "../../gateway/request-scope.js";
import { pickRequestId, requestIdHeader, requestIdKey } from "../request-id.js";
import { gatewayErrorForAbort } from "./abort-reasons.js";
import { observeCall } from "./observe-call.js";
import { requestScopeKey } from "./request-scope-key.js";

export interface DeadlineSettings {
  defaultDeadlineMs: number;
  maxDeadlineMs: number;
  logger: Logger;
  now?: () => number;
}

export function deadlineInterceptor(settings: DeadlineSettings): Interceptor {
  return (next) => (request) => {
    const clientTimeoutMs = clientTimeout(request.header);
    if (clientTimeoutMs !== undefined && clientTimeoutMs > settings.maxDeadlineMs) {
      throw new GatewayError("INVALID_REQUEST", `deadline ${clientTimeoutMs} ms is above the maximum of ${settings.maxDeadlineMs} ms`, {
        fieldViolations: [{ field: "grpc-timeout", description: `at most ${settings.maxDeadlineMs} ms` }],
      });
    }
    const scope = openRequestScope({
      method: request.method.name,
      requestId: request.contextValues.get(requestIdKey) ?? pickRequestId(request.header.get(requestIdHeader)),
      timeoutMs: clientTimeoutMs ?? settings.defaultDeadlineMs,
      cancel: request.signal,
      reasonFor: gatewayErrorForAbort,
      logger: settings.logger,
      now: settings.now,
    });
    request.contextValues.set(requestScopeKey, scope);
    return observeCall(next, { ...request, signal: scope.signal }, ({ error }) => {
      scope.close();
      return error;
    }) as never;
  };
}

/** The client's timeout in ms, from `grpc-timeout` (gRPC, gRPC-Web) or `connect-timeout-ms` (Connect). */
function clientTimeout(header: Headers): number | undefined {
  const grpc = header.get("grpc-timeout");
  if (grpc !== null) return parseGrpcTimeout(grpc, Number.MAX_SAFE_INTEGER).timeoutMs;
  return parseConnectTimeout(header.get("connect-timeout-ms"), Number.MAX_SAFE_INTEGER).timeoutMs;
}
