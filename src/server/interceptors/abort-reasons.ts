/**
 * What an abort means at the Connect edge. connect aborts a call's signal with a ConnectError
 * (DEADLINE_EXCEEDED for the client's deadline, UNAVAILABLE for our shutdown, CANCELED when the client
 * went away); the core wants a GatewayError with the matching reason.
 */
import { Code, ConnectError } from "@connectrpc/connect";
import { GatewayError } from "../../gateway/gateway-error.js";

/** The GatewayError for the reason connect (or the scope's own deadline) aborted a call with. */
export function gatewayErrorForAbort(reason: unknown, cause?: unknown): GatewayError {
  if (reason instanceof GatewayError) return reason;
  if (reason instanceof ConnectError) {
    if (reason.code === Code.DeadlineExceeded) return new GatewayError("DEADLINE_EXCEEDED", "the deadline passed", { cause });
    if (reason.code === Code.Unavailable) return new GatewayError("SHUTTING_DOWN", "the gateway is shutting down", { cause });
  }
  return new GatewayError("CANCELED", "the call was canceled", { cause });
}

/**
 * Once the call's signal fired, an engine may surface the abort as some generic error; report what
 * happened instead: the deadline, the client's cancel, or the shutdown.
 */
export function abortAwareError(error: unknown, signal: AbortSignal): unknown {
  if (!signal.aborted) return error;
  const reason = gatewayErrorForAbort(signal.reason, error);
  if (error instanceof GatewayError) {
    // The engine reports a stop as CANCELED with what was spent; a shutdown says so, with the same details.
    if (error.reason === "CANCELED" && reason.reason === "SHUTTING_DOWN") {
      return new GatewayError("SHUTTING_DOWN", reason.message, { failure: error.failure, cause: error });
    }
    return error;
  }
  return reason;
}
