/**
 * The caller's W3C trace context (`traceparent`, `tracestate`) into the call's RequestScope, where the
 * engine's request span (src/observability/tracing-engine.ts) takes it as its parent. Runs inside the
 * deadline interceptor, which opened the scope. Reads nothing until an OpenTelemetry propagator is
 * registered (trace-context.ts).
 */
import type { Interceptor } from "@connectrpc/connect";
import { traceContextFromHeaders } from "../../observability/trace-context.js";
import { requestScopeKey } from "./request-scope-key.js";

export function traceContextInterceptor(): Interceptor {
  return (next) => (request) => {
    const scope = request.contextValues.get(requestScopeKey);
    if (scope !== undefined) scope.trace = traceContextFromHeaders(request.header);
    return next(request);
  };
}
