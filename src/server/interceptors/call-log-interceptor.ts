/**
 * Hands exactly one record per call to the call recorder when it ends (the `call finished` log line,
 * the records file, the metrics: observability/call-recorder.ts): request id, caller, method, model,
 * the deployment that served, status, latency, tokens, cost and every attempt, or the error's reason.
 * Prompt text is never part of it. An INTERNAL error is also logged with its cause (the client saw
 * only "internal error").
 */
import { Code, ConnectError, type Interceptor } from "@connectrpc/connect";
import type { Logger } from "pino";
import { GatewayError } from "../../gateway/gateway-error.js";
import { callRecordOf, type CallEnding } from "../../observability/call-record.js";
import type { CallRecorder } from "../../observability/call-recorder.js";
import { requestIdKey } from "../request-id.js";
import { observeCall } from "./observe-call.js";
import { requestScopeKey } from "./request-scope-key.js";

/** "INVALID_ARGUMENT" for Code.InvalidArgument, and so on. */
const statusNames: Record<number, string> = Object.fromEntries(
  Object.entries(Code)
    .filter(([, value]) => typeof value === "number")
    .map(([name, value]) => [value, name.replace(/([a-z])([A-Z])/g, "$1_$2").toUpperCase()]),
);

export function callLogInterceptor(logger: Logger, recorder: CallRecorder, now: () => number = Date.now): Interceptor {
  return (next) => (request) => {
    const startedAt = now();
    return observeCall(next, request, ({ error, abandoned }) => {
      if (error !== undefined && ConnectError.from(error).code === Code.Internal) {
        const connectError = ConnectError.from(error);
        logger.error({ err: connectError.cause ?? error, requestId: request.contextValues.get(requestScopeKey)?.requestId, method: request.method.name }, "call failed with an internal error");
      }
      const scope = request.contextValues.get(requestScopeKey);
      const latencyMs = now() - startedAt;
      if (scope === undefined) {
        // Refused before the deadline interceptor opened a scope (a malformed request id): log only.
        logger.info({ requestId: request.contextValues.get(requestIdKey), method: request.method.name, status: error === undefined ? "OK" : statusNames[ConnectError.from(error).code], latencyMs: Math.round(latencyMs) }, "call finished");
        return error;
      }
      let ending: CallEnding = { edge: "connect", status: "OK", latencyMs };
      if (abandoned) {
        ending = { ...ending, status: statusNames[Code.Canceled], reason: "CANCELED", error: "the client went away" };
      } else if (error !== undefined) {
        const connectError = ConnectError.from(error);
        const cause: unknown = connectError.cause;
        ending = {
          ...ending,
          status: statusNames[connectError.code],
          reason: cause instanceof GatewayError ? cause.reason : undefined,
          error: connectError.rawMessage,
          failedRoute: cause instanceof GatewayError ? cause.failure?.route : undefined,
        };
      }
      recorder.record(callRecordOf(scope, ending));
      return error;
    }) as never;
  };
}
