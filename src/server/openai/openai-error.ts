/**
 * The one place of the OpenAI edge that knows HTTP statuses: a `GatewayError` reason to the status and
 * the `{error: {message, type, param, code}}` body OpenAI sends, which the `openai` SDK turns into its
 * typed errors (400 BadRequestError, 401 AuthenticationError, 404 NotFoundError, 429 RateLimitError,
 * >= 500 InternalServerError; openai-node `core/error.ts`). The stable reason also goes out as the
 * `x-modelgate-error-reason` header. Unknown errors become a bare 500 "internal error": no upstream
 * text reaches the wire.
 */
import { GatewayError, type ErrorReason } from "../../gateway/types.js";
import { onlyBreakersMetadataKey } from "../to-connect-error.js";
import { openAIErrorCodeKey } from "./convert-chat-request.js";

/** OpenAI's error body. */
export interface OpenAIErrorBody {
  error: { message: string; type: string; param: string | null; code: string | null };
}

export interface OpenAIError {
  status: number;
  body: OpenAIErrorBody;
  headers: Record<string, string>;
}

/** The header naming the modelgate reason of an error answer. */
export const errorReasonHeader = "x-modelgate-error-reason";

interface Mapping {
  status: number;
  type: string;
  /** OpenAI's `code` where it has one for the same failure, else our reason in lower case. */
  code?: string;
}

/**
 * Status per reason. An upstream 429 is a 429 here too (the Connect edge says UNAVAILABLE): OpenAI
 * clients know a 429 as "wait and retry", and the SDK retries it honouring `retry-after`. A provider's
 * refused key is the operator's fault, not the caller's: 500, never 401.
 */
const mappings: Record<ErrorReason, Mapping> = {
  INVALID_REQUEST: { status: 400, type: "invalid_request_error" },
  UNKNOWN_MODEL: { status: 404, type: "invalid_request_error", code: "model_not_found" },
  MESSAGE_TOO_LARGE: { status: 413, type: "invalid_request_error", code: "request_too_large" },
  NO_ELIGIBLE_DEPLOYMENT: { status: 400, type: "invalid_request_error" },
  PROVIDER_RATE_LIMITED: { status: 429, type: "rate_limit_error", code: "rate_limit_exceeded" },
  PROVIDER_UNAVAILABLE: { status: 503, type: "server_error" },
  PROVIDER_TIMEOUT: { status: 503, type: "server_error" },
  PROVIDER_AUTH_FAILED: { status: 500, type: "server_error" },
  PROVIDER_INVALID_REQUEST: { status: 400, type: "invalid_request_error" },
  CONTEXT_WINDOW_EXCEEDED: { status: 400, type: "invalid_request_error", code: "context_length_exceeded" },
  CONTENT_FILTERED: { status: 400, type: "invalid_request_error", code: "content_filter" },
  PROVIDER_MALFORMED_RESPONSE: { status: 503, type: "server_error" },
  PROVIDER_STREAM_INTERRUPTED: { status: 503, type: "server_error" },
  DEADLINE_EXCEEDED: { status: 408, type: "timeout_error" },
  // Nobody reads it (the client is gone); 499 is what proxies log for that.
  CANCELED: { status: 499, type: "canceled" },
  COST_LIMIT_EXCEEDED: { status: 429, type: "insufficient_quota", code: "insufficient_quota" },
  RATE_LIMITED: { status: 429, type: "rate_limit_error", code: "rate_limit_exceeded" },
  SHUTTING_DOWN: { status: 503, type: "server_error" },
  INTERNAL: { status: 500, type: "server_error" },
  UNAUTHENTICATED: { status: 401, type: "invalid_request_error", code: "invalid_api_key" },
  PERMISSION_DENIED: { status: 403, type: "invalid_request_error", code: "permission_denied" },
  KEY_STORE_UNAVAILABLE: { status: 503, type: "server_error" },
  REQUEST_ID_REUSED: { status: 409, type: "invalid_request_error" },
  RUN_LOST: { status: 409, type: "server_error" },
  RESUME_NOT_FOUND: { status: 404, type: "invalid_request_error" },
};

/** The HTTP status a reason maps to (exported for logs and tests). */
export function statusForReason(reason: ErrorReason, metadata: Record<string, string> = {}): number {
  if (reason === "NO_ELIGIBLE_DEPLOYMENT" && metadata[onlyBreakersMetadataKey] === "true") return 503;
  return mappings[reason].status;
}

/** Any thrown value as the status, body and headers sent to the client. */
export function toOpenAIError(error: unknown): OpenAIError {
  if (!(error instanceof GatewayError)) {
    return {
      status: 500,
      body: { error: { message: "internal error", type: "server_error", param: null, code: "internal" } },
      headers: { [errorReasonHeader]: "INTERNAL" },
    };
  }
  const mapping = mappings[error.reason];
  const status = statusForReason(error.reason, error.metadata);
  const headers: Record<string, string> = { [errorReasonHeader]: error.reason };
  if (error.retryAfterMs !== undefined) {
    const waitMs = Math.max(0, Math.ceil(error.retryAfterMs));
    // `retry-after` is whole seconds (RFC 9110); the SDK reads `retry-after-ms` first, exact.
    headers["retry-after"] = String(Math.ceil(waitMs / 1000));
    headers["retry-after-ms"] = String(waitMs);
  }
  const param = error.fieldViolations[0]?.field ?? (error.reason === "UNKNOWN_MODEL" ? "model" : null);
  const code = error.metadata[openAIErrorCodeKey] ?? mapping.code ?? error.reason.toLowerCase();
  return { status, body: { error: { message: error.message, type: mapping.type, param, code } }, headers };
}
