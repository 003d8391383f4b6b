/**
 * Every cross-cutting concern of a GatewayService call, in one list. connect applies them as an onion:
 * the first entry is the outermost, so it sees the call first and its end last.
 */
import type { Interceptor } from "@connectrpc/connect";
import type { Logger } from "pino";
import type { ServerConfig } from "../config/schema.js";
import { callLogInterceptor } from "./interceptors/call-log-interceptor.js";
import { connectErrorInterceptor } from "./interceptors/connect-error-interceptor.js";
import { deadlineInterceptor } from "./interceptors/deadline-interceptor.js";
import { requestIdInterceptor } from "./interceptors/request-id-interceptor.js";

export interface GatewayInterceptorOptions {
  config: Pick<ServerConfig, "defaultDeadlineMs" | "maxDeadlineMs">;
  logger: Logger;
  /** Clock for latency and deadlines; Date.now by default. */
  now?: () => number;
}

export function createGatewayInterceptors(options: GatewayInterceptorOptions): Interceptor[] {
  const { config, logger, now } = options;
  return [
    // Names the call: every later step, and every error, carries the request id.
    requestIdInterceptor(),
    // One log line per call, with the status the client finally got.
    callLogInterceptor(logger, now),
    // GatewayError (or anything else) → ConnectError with ErrorInfo and details.
    connectErrorInterceptor(),
    // The deadline (caller's, clamped, or the default) and the RequestScope the service runs in.
    deadlineInterceptor({ defaultDeadlineMs: config.defaultDeadlineMs, maxDeadlineMs: config.maxDeadlineMs, logger, now }),
  ];
}
