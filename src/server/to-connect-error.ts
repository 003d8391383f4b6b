/**
 * The one place that knows gRPC codes: turns whatever a call failed with into the `ConnectError` the
 * client sees. Every error leaving the server carries exactly one `google.rpc.ErrorInfo` (domain
 * "modelgate", a stable reason, the request id), plus `RetryInfo` when a wait is known, `BadRequest` for
 * field violations and `modelgate.v1.FailureDetails` when something was spent before the failure
 * (AIP-193). Unknown errors become a bare INTERNAL so no upstream text, header or key reaches the wire;
 * the original stays in `cause` for the logs.
 */
import { create } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import {
  BadRequestSchema,
  ErrorInfoSchema,
  QuotaFailureSchema,
  RetryInfoSchema,
} from "../../gen/google/rpc/error_details_pb.js";
import { FailureDetailsSchema } from "../../gen/modelgate/v1/errors_pb.js";
import { GatewayError, type ErrorReason } from "../gateway/types.js";
import { toProtoCost, toProtoRoute, toProtoUsage } from "./convert-route.js";

/** The ErrorInfo domain of every modelgate error. */
export const errorDomain = "modelgate";

/** ErrorInfo metadata key naming the request. */
export const requestIdMetadataKey = "request_id";

/**
 * Set `metadata.only_breakers = "true"` on a NO_ELIGIBLE_DEPLOYMENT error when open circuit breakers are
 * the only obstacle: the caller then gets UNAVAILABLE (worth retrying) instead of FAILED_PRECONDITION.
 */
export const onlyBreakersMetadataKey = "only_breakers";

/** The gRPC code for each reason, as documented on the ErrorReason enum in errors.proto. */
const codes: Record<ErrorReason, Code> = {
  INVALID_REQUEST: Code.InvalidArgument,
  UNKNOWN_MODEL: Code.NotFound,
  MESSAGE_TOO_LARGE: Code.ResourceExhausted,
  NO_ELIGIBLE_DEPLOYMENT: Code.FailedPrecondition,
  PROVIDER_RATE_LIMITED: Code.Unavailable,
  PROVIDER_UNAVAILABLE: Code.Unavailable,
  PROVIDER_TIMEOUT: Code.Unavailable,
  PROVIDER_AUTH_FAILED: Code.Internal,
  PROVIDER_INVALID_REQUEST: Code.InvalidArgument,
  CONTEXT_WINDOW_EXCEEDED: Code.InvalidArgument,
  CONTENT_FILTERED: Code.FailedPrecondition,
  PROVIDER_MALFORMED_RESPONSE: Code.Unavailable,
  PROVIDER_STREAM_INTERRUPTED: Code.Unavailable,
  DEADLINE_EXCEEDED: Code.DeadlineExceeded,
  CANCELED: Code.Canceled,
  COST_LIMIT_EXCEEDED: Code.ResourceExhausted,
  RATE_LIMITED: Code.ResourceExhausted,
  SHUTTING_DOWN: Code.Unavailable,
  INTERNAL: Code.Internal,
  UNAUTHENTICATED: Code.Unauthenticated,
  PERMISSION_DENIED: Code.PermissionDenied,
  KEY_STORE_UNAVAILABLE: Code.Unavailable,
  REQUEST_ID_REUSED: Code.AlreadyExists,
  RUN_LOST: Code.Aborted,
  RESUME_NOT_FOUND: Code.NotFound,
};

/** The reason given to a ConnectError raised outside our code (by connect itself) that lacks ErrorInfo. */
const reasonsForForeignCodes: Partial<Record<Code, ErrorReason>> = {
  [Code.InvalidArgument]: "INVALID_REQUEST",
  [Code.ResourceExhausted]: "MESSAGE_TOO_LARGE",
  [Code.DeadlineExceeded]: "DEADLINE_EXCEEDED",
  [Code.Canceled]: "CANCELED",
  [Code.Aborted]: "CANCELED",
  [Code.Unavailable]: "SHUTTING_DOWN",
};

/** The gRPC code a reason maps to (exported for logs and tests). */
export function codeForReason(reason: ErrorReason, metadata: Record<string, string> = {}): Code {
  if (reason === "NO_ELIGIBLE_DEPLOYMENT" && metadata[onlyBreakersMetadataKey] === "true") {
    return Code.Unavailable;
  }
  return codes[reason];
}

/**
 * Converts any thrown value into the ConnectError sent to the client.
 * - `GatewayError`: code from its reason, with ErrorInfo, RetryInfo, BadRequest and FailureDetails.
 * - `ConnectError`: returned as is (same code and message), gaining an ErrorInfo when it has none.
 * - anything else: INTERNAL "internal error", the original kept only as `cause`.
 */
export function toConnectError(error: unknown, requestId: string): ConnectError {
  if (error instanceof GatewayError) return fromGatewayError(error, requestId);
  if (error instanceof ConnectError) {
    if (error.findDetails(ErrorInfoSchema).length === 0) {
      const reason = reasonsForForeignCodes[error.code] ?? "INTERNAL";
      error.details.push({ desc: ErrorInfoSchema, value: errorInfo(reason, requestId, {}) });
    }
    return error;
  }
  return new ConnectError(
    "internal error",
    Code.Internal,
    undefined,
    [{ desc: ErrorInfoSchema, value: errorInfo("INTERNAL", requestId, {}) }],
    error,
  );
}

function errorInfo(reason: ErrorReason, requestId: string, metadata: Record<string, string>) {
  return create(ErrorInfoSchema, {
    domain: errorDomain,
    reason,
    metadata: { ...metadata, [requestIdMetadataKey]: requestId },
  });
}

function fromGatewayError(error: GatewayError, requestId: string): ConnectError {
  const metadata: Record<string, string> = { ...error.metadata };
  if (error.retryAfterMs !== undefined) metadata.retry_after_ms = String(Math.ceil(error.retryAfterMs));
  const details: ConstructorParameters<typeof ConnectError>[3] = [
    { desc: ErrorInfoSchema, value: errorInfo(error.reason, requestId, metadata) },
  ];
  if (error.retryAfterMs !== undefined) {
    const totalMs = Math.max(0, Math.ceil(error.retryAfterMs));
    details.push({
      desc: RetryInfoSchema,
      value: create(RetryInfoSchema, {
        retryDelay: { seconds: BigInt(Math.floor(totalMs / 1000)), nanos: (totalMs % 1000) * 1_000_000 },
      }),
    });
  }
  if (error.fieldViolations.length > 0) {
    details.push({
      desc: BadRequestSchema,
      value: create(BadRequestSchema, {
        fieldViolations: error.fieldViolations.map((violation) => ({
          field: violation.field,
          description: violation.description,
        })),
      }),
    });
  }
  if (error.quotaViolations.length > 0) {
    details.push({
      desc: QuotaFailureSchema,
      value: create(QuotaFailureSchema, {
        violations: error.quotaViolations.map((violation) => ({ subject: violation.subject, description: violation.description })),
      }),
    });
  }
  if (error.failure) {
    const failure = error.failure;
    const usage = failure.usage;
    details.push({
      desc: FailureDetailsSchema,
      value: create(FailureDetailsSchema, {
        requestId: failure.requestId || requestId,
        usage: usage ? toProtoUsage(usage, usage.partial) : undefined,
        costMicroUsd: toProtoCost(failure.costMicroUsd),
        route: toProtoRoute(failure.route),
      }),
    });
  }
  return new ConnectError(error.message, codeForReason(error.reason, error.metadata), undefined, details, error);
}
