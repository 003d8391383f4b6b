/**
 * Refuses an oversize request body before it is parsed, with RESOURCE_EXHAUSTED and a modelgate
 * ErrorInfo (MESSAGE_TOO_LARGE). connect's own `readMaxBytes` check would refuse it too, but with a bare
 * error that has no ErrorInfo, and it runs before any interceptor could add one; so this guard wraps the
 * request body of single-message calls (unary and server-streaming) and throws first. connect's check
 * stays in place behind it, for compressed bodies and for client-streaming calls.
 */
import type { UniversalServerRequest } from "@connectrpc/connect/protocol";
import type { ConnectError } from "@connectrpc/connect";
import { toConnectError } from "./to-connect-error.js";
import { GatewayError } from "../gateway/types.js";

/** gRPC and gRPC-Web frame each message with a 5-byte prefix (flags + length). */
const envelopeHeaderBytes = 5;

/** Whether the request's content type frames messages in envelopes (gRPC, gRPC-Web, Connect streaming). */
export function isEnveloped(contentType: string | null): boolean {
  if (contentType === null) return false;
  return /^application\/(grpc|grpc-web|grpc-web-text|connect)(\+|;|$)/i.test(contentType);
}

/**
 * The MESSAGE_TOO_LARGE error for a body of `size` bytes (undefined: counted past the limit, size not
 * known). Exported for the fast paths, which read bodies themselves and must refuse them with exactly
 * this error.
 */
export function messageTooLargeError(size: number | undefined, maxBytes: number, requestId: string): ConnectError {
  const sizeText = size === undefined ? "larger than" : `${size} bytes, more than`;
  return toConnectError(
    new GatewayError("MESSAGE_TOO_LARGE", `request message is ${sizeText} the limit of ${maxBytes} bytes (server.maxMessageBytes)`, {
      metadata: { max_bytes: String(maxBytes) },
    }),
    requestId,
  );
}

/**
 * Returns `request` with a body that throws MESSAGE_TOO_LARGE as soon as the message is known to exceed
 * `maxBytes`: from Content-Length, from the envelope's length prefix, or by counting. `onRefused` runs
 * first and is awaited, so the caller can stop reading the rest of the body, or drop it, before the
 * answer goes out.
 */
export function guardRequestSize(
  request: UniversalServerRequest,
  maxBytes: number,
  requestId: string,
  onRefused: () => void | Promise<void> = () => undefined,
): UniversalServerRequest {
  const body = request.body;
  if (body === null || typeof body !== "object" || !(Symbol.asyncIterator in body)) return request;
  const source = body as AsyncIterable<Uint8Array>;
  const enveloped = isEnveloped(request.header.get("content-type"));
  const overhead = enveloped ? envelopeHeaderBytes : 0;
  const contentLength = Number.parseInt(request.header.get("content-length") ?? "", 10);
  if (Number.isFinite(contentLength) && contentLength - overhead > maxBytes) {
    const error = messageTooLargeError(contentLength - overhead, maxBytes, requestId);
    // Without the header connect reads the body, which fails with our error (connect's own check on
    // Content-Length would answer first, without ErrorInfo).
    const header = new Headers(request.header);
    header.delete("content-length");
    const refuse = async (): Promise<never> => {
      await onRefused();
      throw error;
    };
    return { ...request, header, body: failing(refuse) };
  }

  async function* guarded(): AsyncIterable<Uint8Array> {
    let total = 0;
    let prefix = new Uint8Array(0);
    for await (const chunk of source) {
      total += chunk.byteLength;
      if (enveloped && prefix.byteLength < envelopeHeaderBytes) {
        const joined = new Uint8Array(prefix.byteLength + chunk.byteLength);
        joined.set(prefix);
        joined.set(chunk, prefix.byteLength);
        prefix = joined.subarray(0, Math.min(joined.byteLength, envelopeHeaderBytes));
        if (prefix.byteLength === envelopeHeaderBytes) {
          const declared = new DataView(prefix.buffer, prefix.byteOffset, envelopeHeaderBytes).getUint32(1);
          if (declared > maxBytes) {
            await onRefused();
            throw messageTooLargeError(declared, maxBytes, requestId);
          }
        }
      }
      if (total - overhead > maxBytes) {
        await onRefused();
        throw messageTooLargeError(undefined, maxBytes, requestId);
      }
      yield chunk;
    }
  }
  return { ...request, body: guarded() };
}

/** A body whose first read rejects with what `refuse` rejects with. */
function failing(refuse: () => Promise<never>): AsyncIterable<Uint8Array> {
  let refused: Promise<never> | undefined;
  return {
    [Symbol.asyncIterator]() {
      return {
        next: () => (refused ??= refuse()),
        return: () => Promise.resolve({ done: true, value: undefined }),
      };
    },
  };
}
