/**
 * The one error the core throws, with a stable reason from the contract's catalogue. Each edge maps
 * the reason to its own wire: the Connect edge to a gRPC code and error details, the HTTP edge to a
 * status. `message` is ours and safe for clients; anything upstream stays in `cause`.
 */
import type { RouteRecord } from "./types.js";
import type { Usage } from "../providers/spec.js";

/** The ErrorInfo reasons (the proto enum's names without the ERROR_REASON_ prefix). */
export type ErrorReason =
  | "INVALID_REQUEST"
  | "UNKNOWN_MODEL"
  | "MESSAGE_TOO_LARGE"
  | "NO_ELIGIBLE_DEPLOYMENT"
  | "PROVIDER_RATE_LIMITED"
  | "PROVIDER_UNAVAILABLE"
  | "PROVIDER_TIMEOUT"
  | "PROVIDER_AUTH_FAILED"
  | "PROVIDER_INVALID_REQUEST"
  | "CONTEXT_WINDOW_EXCEEDED"
  | "CONTENT_FILTERED"
  | "PROVIDER_MALFORMED_RESPONSE"
  | "PROVIDER_STREAM_INTERRUPTED"
  | "DEADLINE_EXCEEDED"
  | "CANCELED"
  | "COST_LIMIT_EXCEEDED"
  | "RATE_LIMITED"
  | "SHUTTING_DOWN"
  | "INTERNAL"
  | "UNAUTHENTICATED"
  | "PERMISSION_DENIED"
  | "KEY_STORE_UNAVAILABLE"
  | "REQUEST_ID_REUSED"
  | "RUN_LOST"
  | "RESUME_NOT_FOUND";

/** A limit a caller ran into (google.rpc.QuotaFailure): whose, and which. */
export interface QuotaViolation {
  /** The caller's key id, e.g. "key:team-a". */
  subject: string;
  /** Which limit, e.g. "requests per minute (100)". */
  description: string;
}

export interface FieldViolation {
  field: string;
  description: string;
}

/** What was spent and tried before a failure; travels to the client as a FailureDetails error detail. */
export interface FailureSummary {
  requestId: string;
  usage?: Usage & { partial: boolean };
  costMicroUsd?: number;
  route: RouteRecord;
}

/** The core's error: a reason, a safe message, and what was spent before it. */
export class GatewayError extends Error {
  readonly reason: ErrorReason;
  readonly retryAfterMs?: number;
  readonly fieldViolations: FieldViolation[];
  readonly quotaViolations: QuotaViolation[];
  readonly failure?: FailureSummary;
  /** Extra ErrorInfo metadata (safe strings only). */
  readonly metadata: Record<string, string>;

  constructor(
    reason: ErrorReason,
    message: string,
    options: {
      retryAfterMs?: number;
      fieldViolations?: FieldViolation[];
      quotaViolations?: QuotaViolation[];
      failure?: FailureSummary;
      metadata?: Record<string, string>;
      cause?: unknown;
    } = {},
  ) {
    super(message, { cause: options.cause });
    this.name = "GatewayError";
    this.reason = reason;
    this.retryAfterMs = options.retryAfterMs;
    this.fieldViolations = options.fieldViolations ?? [];
    this.quotaViolations = options.quotaViolations ?? [];
    this.failure = options.failure;
    this.metadata = options.metadata ?? {};
  }
}

