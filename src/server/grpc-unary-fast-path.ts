/**
 * The gRPC unary fast path: serves a plain gRPC unary call over HTTP/2 straight from the Node request
 * and gives the answer connect's gRPC handler would give, and declines everything else, which then goes
 * to connect unchanged.
 *
 * Why: connect-node's gRPC path is the gateway's slowest (a null handler serves about 950 calls/s on a
 * core): on top of the per-call costs the Connect fast path avoids (see connect-unary-fast-path.ts), it
 * runs each call through a pipe of about ten async generators. Here a call is one read of the body, one
 * `impl` call and one write.
 *
 * A plain call: POST over HTTP/2 to a unary method registered without per-service options; content type
 * exactly `application/grpc` or `application/grpc+proto`; `grpc-encoding` absent or `identity`;
 * `grpc-timeout` absent or valid. gRPC-Web, `+json`, HTTP/1.1, streaming methods and anything unusual
 * are declined.
 *
 * What is mirrored from connect 2.1.2 (`protocol-grpc/handler-factory.js` and the transforms it pipes
 * through), calling connect's own exported helpers wherever one exists:
 * - `grpc-timeout`: `parseTimeout`; a value it refuses is declined, so connect writes that error;
 * - response compression: `compressionNegotiate` with `grpc-accept-encoding` sets `grpc-encoding` and
 *   compresses a message of at least `compressMinBytes`, as `transformCompressEnvelope` does;
 * - the request body, read as the request-size guard and connect's envelope pipe read it, with their
 *   errors in their order (enveloped-message-reader.ts);
 * - the answer as connect-node writes it: status 200 and the response header once the implementation
 *   has returned or thrown, then the message, then the trailer (`grpc-status` "0", or `setTrailerStatus`
 *   with the error: its metadata, `grpc-status`, percent-encoded `grpc-message` and
 *   `grpc-status-details-bin`) through `addTrailers`; a thrown non-ConnectError becomes connect's bare
 *   "internal error". An error is therefore headers plus trailers, not a trailers-only response, exactly
 *   as connect sends it.
 * The one known difference is the body reader's (see enveloped-message-reader.ts): only a body with
 * several envelopes and two errors at once could be refused with the other of the two.
 *
 * The call's `HandlerContext`, and when its signal aborts, are in fast-path-context.ts.
 */
import { create } from "@bufbuild/protobuf";
import { Code, ConnectError, type ConnectRouter, type ContextValues } from "@connectrpc/connect";
import { compressedFlag, encodeEnvelope, type Compression } from "@connectrpc/connect/protocol";
import { setTrailerStatus } from "@connectrpc/connect/protocol-grpc";
import type { Http2ServerResponse } from "node:http2";
import type { ConnectUnaryFastPathOptions } from "./connect-unary-fast-path.js";
import { readEnvelopedMessage } from "./enveloped-message-reader.js";
import type { FastPathContext } from "./fast-path-context.js";
import { openGrpcFastPathCall } from "./grpc-fast-path-call.js";
import { createFastPathRoutes, type UnaryRoute } from "./fast-path-routes.js";
import type { NodeRequest, NodeResponse } from "./node-handler.js";
import { nodeHeaders, nodeResponseHeaders } from "./node-response-headers.js";


export interface GrpcUnaryFastPath {
  /** As the Connect fast path's: returns `router` wrapped so that its unary methods are known here too. */
  learnFrom(router: ConnectRouter): ConnectRouter;
  /**
   * Serves the call when it is a plain gRPC unary call over HTTP/2 and returns the promise of its
   * answer; otherwise returns undefined without touching the request or the response.
   */
  serve(request: NodeRequest, response: NodeResponse, path: string, requestId: string, contextValues: ContextValues): Promise<void> | undefined;
}

/** Creates the fast path; register services through `learnFrom(router)`, then call `serve` per request. */
export function createGrpcUnaryFastPath(options: ConnectUnaryFastPathOptions): GrpcUnaryFastPath {
  const routes = createFastPathRoutes("unary", options);
  const { limits, runningCalls } = routes;
  const shutdownSignal = options.shutdownSignal;

  const answer = async (
    route: UnaryRoute,
    context: FastPathContext,
    request: NodeRequest,
    response: NodeResponse,
    requestId: string,
    compression: Compression | null,
  ): Promise<void> => {
    const { spec, serialization } = route;
    const trailer = context.responseTrailer;
    let body: Uint8Array | undefined;
    try {
      const input = await readEnvelopedMessage(request, {
        maxBytes: options.readMaxBytes,
        requestId,
        parse: serialization.getI(true).parse,
        methodKind: "unary",
        skippedFlags: undefined,
      });
      const output = create(spec.method.output, await spec.impl(input, context));
      let data = serialization.getO(true).serialize(output);
      let flags = 0;
      if (compression !== null && data.byteLength >= limits.compressMinBytes) {
        data = await compression.compress(data);
        flags = compressedFlag;
      }
      body = encodeEnvelope(flags, data);
    } catch (thrown) {
      const error = thrown instanceof ConnectError ? thrown : new ConnectError("internal error", Code.Internal, undefined, undefined, thrown);
      setTrailerStatus(trailer, error);
    } finally {
      context.finish();
    }
    // The client went away: connect's write would fail and be dropped; there is nobody to answer.
    if (response.destroyed || response.writableEnded) return;
    // As connect-node's universalResponseToNodeResponse: head, trailers, then end (HTTP/2 only here).
    const http2Response = response as Http2ServerResponse;
    http2Response.writeHead(200, nodeResponseHeaders(context));
    http2Response.addTrailers(nodeHeaders(trailer));
    if (body === undefined) http2Response.end();
    else http2Response.end(body);
  };

  return {
    learnFrom(router) {
      return routes.learnFrom(router);
    },

    serve(request, response, path, requestId, contextValues) {
      // Cheapest checks first: a declined call must cost next to nothing.
      if (request.httpVersionMajor !== 2 || request.method !== "POST") return undefined;
      const route = routes.get(path);
      if (route === undefined) return undefined;
      const call = openGrpcFastPathCall(route.spec.method, request, response, contextValues, options, runningCalls);
      if (call === undefined) return undefined;
      return answer(route, call.context, request, response, requestId, call.compression);
    },
  };
}
