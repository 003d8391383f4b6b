/**
 * Every cross-cutting concern of a GatewayService call, in one list. connect applies them as an onion:
 * the first entry is the outermost, so it sees the call first and its end last.
 */
import type { Interceptor } from "@connectrpc/connect";
import type { Logger } from "pino";
import type { ServerConfig } from "../config/schema.js";
import type { CallerGate } from "../callers/caller-gate.js";
import { createCallRecorder, type CallRecorder } from "../observability/call-recorder.js";
import { callerAuthInterceptor } from "./interceptors/caller-auth-interceptor.js";
import { callerLimitsInterceptor } from "./interceptors/caller-limits-interceptor.js";
import { callLogInterceptor } from "./interceptors/call-log-interceptor.js";
import { connectErrorInterceptor } from "./interceptors/connect-error-interceptor.js";
import { deadlineInterceptor } from "./interceptors/deadline-interceptor.js";
import { requestIdInterceptor } from "./interceptors/request-id-interceptor.js";
import { traceContextInterceptor } from "./interceptors/trace-context-interceptor.js";

export interface GatewayInterceptorOptions {
  config: Pick<ServerConfig, "defaultDeadlineMs" | "maxDeadlineMs">;
  logger: Logger;
  /** Clock for latency and deadlines; Date.now by default. */
  now?: () => number;
  /** Caller keys, limits and budgets; without it every call is anonymous and unlimited. */
  callers?: CallerGate;
  /** Where each finished call's record goes (log line, records file, metrics); the log line alone by default. */
  recorder?: CallRecorder;
}

export function createGatewayInterceptors(options: GatewayInterceptorOptions): Interceptor[] {
  const { config, logger, now, callers } = options;
  const recorder = options.recorder ?? createCallRecorder({ logger });
  return [
    // Names the call: every later step, and every error, carries the request id.
    requestIdInterceptor(),
    // One record per call (log line, records file, metrics), with the status the client finally got.
    callLogInterceptor(logger, recorder, now),
    // GatewayError (or anything else) → ConnectError with ErrorInfo and details.
    connectErrorInterceptor(),
    // The deadline (caller's, clamped, or the default) and the RequestScope the service runs in.
    deadlineInterceptor({ defaultDeadlineMs: config.defaultDeadlineMs, maxDeadlineMs: config.maxDeadlineMs, logger, now }),
    // The caller's traceparent into the scope: the parent of the call's request span.
    traceContextInterceptor(),
    // Who is calling (a bearer key, UNAUTHENTICATED without one); the caller goes into the scope.
    ...(callers === undefined ? [] : [callerAuthInterceptor(callers)]),
    // The key's allowed models, rate limits, budgets and streams; settles what the call used.
    ...(callers === undefined ? [] : [callerLimitsInterceptor(callers)]),
  ];
}
