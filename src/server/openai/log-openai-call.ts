/**
 * The OpenAI edge's record of each call, made like the Connect edge's (call-log-interceptor.ts) and
 * handed to the same call recorder: the status is the gRPC status name of the same reason, so records
 * and metrics from both edges share one vocabulary. An internal error is also logged with its cause
 * (the client saw only "internal error"). Never the prompt.
 */
import { Code } from "@connectrpc/connect";
import type { Logger } from "pino";
import type { RequestScope } from "../../gateway/request-scope.js";
import { GatewayError } from "../../gateway/types.js";
import { callRecordOf } from "../../observability/call-record.js";
import type { CallRecorder } from "../../observability/call-recorder.js";
import { codeForReason } from "../to-connect-error.js";

export interface CallEnd {
  latencyMs: number;
  /** The HTTP status sent (200 for a stream that failed after it began). */
  status: number;
  error?: unknown;
}

/** "INVALID_ARGUMENT" for Code.InvalidArgument, and so on. */
function statusName(code: Code): string {
  return Code[code].replace(/([a-z])([A-Z])/g, "$1_$2").toUpperCase();
}

export function logOpenAICall(logger: Logger, recorder: CallRecorder, scope: RequestScope, end: CallEnd): void {
  const reason = end.error instanceof GatewayError ? end.error.reason : end.error === undefined ? undefined : "INTERNAL";
  if (reason === "INTERNAL") logger.error({ err: end.error, requestId: scope.requestId, method: scope.method }, "call failed with an internal error");
  const gatewayError = end.error instanceof GatewayError ? end.error : undefined;
  recorder.record(
    callRecordOf(scope, {
      edge: "openai",
      status: reason === undefined ? "OK" : statusName(codeForReason(reason)),
      reason,
      error: end.error instanceof Error ? end.error.message : undefined,
      latencyMs: end.latencyMs,
      failedRoute: gatewayError?.failure?.route,
    }),
  );
}
