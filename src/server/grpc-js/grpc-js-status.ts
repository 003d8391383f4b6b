/**
 * Translation between connect's world (`Headers`, `ConnectError`) and grpc-js's (`Metadata`, status
 * objects). Errors are encoded by connect's own `setTrailerStatus`, the function connect-node uses for
 * the gRPC protocol, so `grpc-status-details-bin` carries byte-for-byte the same `google.rpc.Status`
 * (ErrorInfo, RetryInfo, BadRequest, FailureDetails as `Any`) on both ports, and every client decodes it
 * the same way.
 */
import { Code, ConnectError } from "@connectrpc/connect";
import { headerGrpcMessage, headerGrpcStatus, setTrailerStatus } from "@connectrpc/connect/protocol-grpc";
import { Metadata, type StatusObject } from "@grpc/grpc-js";

/** The status grpc-js sends for a failed call. */
export type GrpcJsErrorStatus = Pick<StatusObject, "code" | "details" | "metadata">;

/** Metadata keys grpc-js writes itself or refuses from applications. */
const reservedKeys = new Set([headerGrpcStatus, headerGrpcMessage, "content-type", "te", "grpc-encoding", "grpc-accept-encoding"]);

/** Copies headers into grpc-js metadata; `-bin` values arrive base64 encoded (connect's convention) and leave as bytes. */
export function metadataFromHeaders(headers: Headers, into: Metadata = new Metadata()): Metadata {
  headers.forEach((value, key) => {
    if (reservedKeys.has(key)) return;
    if (key.endsWith("-bin")) {
      for (const part of value.split(",")) into.add(key, Buffer.from(part.trim(), "base64"));
    } else {
      into.add(key, value);
    }
  });
  return into;
}

/** Copies grpc-js metadata into headers; `-bin` values become base64, as connect presents them. */
export function headersFromMetadata(metadata: Metadata): Headers {
  const headers = new Headers();
  for (const [key, values] of Object.entries(metadata.toJSON())) {
    for (const value of values) headers.append(key, typeof value === "string" ? value : value.toString("base64"));
  }
  return headers;
}

/** What connect does with a thrown value: a ConnectError stays, anything else is INTERNAL with the value as `cause`. */
export function asConnectError(error: unknown): ConnectError {
  return error instanceof ConnectError ? error : new ConnectError("internal error", Code.Internal, undefined, undefined, error);
}

/**
 * The grpc-js status for `error`: same code, the raw message, the call's response trailers plus the
 * error's own metadata, and `grpc-status-details-bin` when the error has details.
 */
export function toGrpcJsStatus(error: ConnectError, trailer?: Headers): GrpcJsErrorStatus {
  const headers = setTrailerStatus(new Headers(trailer), error);
  return { code: error.code as number, details: error.rawMessage, metadata: metadataFromHeaders(headers) };
}
