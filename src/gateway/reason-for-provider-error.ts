/**
 * The one place that turns an adapter's error kind into the contract's ErrorInfo reason. Routing uses it
 * for attempt records and the final error; `to-connect-error.ts` then picks the gRPC code from the reason.
 */
import type { ProviderErrorKind } from "../providers/spec.js";
import type { ErrorReason } from "./types.js";

const reasons: Record<ProviderErrorKind, ErrorReason> = {
  "rate-limited": "PROVIDER_RATE_LIMITED",
  unavailable: "PROVIDER_UNAVAILABLE",
  timeout: "PROVIDER_TIMEOUT",
  "auth-failed": "PROVIDER_AUTH_FAILED",
  "invalid-request": "PROVIDER_INVALID_REQUEST",
  "context-length-exceeded": "CONTEXT_WINDOW_EXCEEDED",
  "content-filtered": "CONTENT_FILTERED",
  "malformed-response": "PROVIDER_MALFORMED_RESPONSE",
  canceled: "CANCELED",
};

export function reasonForProviderError(kind: ProviderErrorKind): ErrorReason {
  return reasons[kind];
}
