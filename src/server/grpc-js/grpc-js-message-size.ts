/**
 * Gives grpc-js's own "message too large" refusal the same shape as the main port's: RESOURCE_EXHAUSTED,
 * the message of request-size-guard.ts and one ErrorInfo (MESSAGE_TOO_LARGE, `max_bytes`, the request
 * id). grpc-js checks `grpc.max_receive_message_length` against the length prefix, before it buffers the
 * body, which is what we want; but it sends that status from its innermost call object, below every
 * interceptor's responder, with a bare text. So this interceptor wraps `sendStatus` of the call it
 * receives: as the first interceptor, that is the innermost call (grpc-js 1.14, pinned; the
 * grpc-js-surface suite fails if that changes). Only grpc-js's own texts are rewritten.
 */
import { Metadata, ServerInterceptingCall, status as grpcStatus, type ServerInterceptor } from "@grpc/grpc-js";
import { toConnectError } from "../to-connect-error.js";
import { GatewayError } from "../../gateway/types.js";
import { pickRequestId, requestIdHeader } from "../request-id.js";
import { metadataFromHeaders, toGrpcJsStatus } from "./grpc-js-status.js";

/** grpc-js 1.14's texts: "Received message larger than max (N vs M)" and "...that decompresses to a size larger than M". */
const grpcJsTooLarge = /^Received message (?:larger than max \((\d+) vs \d+\)|that decompresses to a size larger than \d+)/;

/** The server interceptor; install it first. */
export function createMessageSizeInterceptor(maxBytes: number): ServerInterceptor {
  return (_method, call) => {
    let requestIdValue: string | undefined;
    const sendStatus = call.sendStatus.bind(call);
    call.sendStatus = (status) => {
      const match = status.code === grpcStatus.RESOURCE_EXHAUSTED ? grpcJsTooLarge.exec(status.details ?? "") : null;
      if (!match) return sendStatus(status);
      const requestId = pickRequestId(requestIdValue);
      const sizeText = match[1] === undefined ? "larger than" : `${match[1]} bytes, more than`;
      const error = toConnectError(
        new GatewayError("MESSAGE_TOO_LARGE", `request message is ${sizeText} the limit of ${maxBytes} bytes (server.maxMessageBytes)`, {
          metadata: { max_bytes: String(maxBytes) },
        }),
        requestId,
      );
      const refusal = toGrpcJsStatus(error);
      const metadata = refusal.metadata ?? new Metadata();
      metadataFromHeaders(new Headers({ [requestIdHeader]: requestId }), metadata);
      sendStatus({ ...refusal, metadata });
    };
    return new ServerInterceptingCall(call, {
      start: (next) =>
        next({
          onReceiveMetadata: (metadata, forward) => {
            const value = metadata.get(requestIdHeader)[0];
            requestIdValue = typeof value === "string" ? value : undefined;
            forward(metadata);
          },
        }),
    });
  };
}
