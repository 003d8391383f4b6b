/**
 * The gRPC server-streaming fast path: serves a plain gRPC server-streaming call over HTTP/2 straight
 * from the Node request and gives the answer connect's gRPC handler would give, and declines everything
 * else, which then goes to connect unchanged.
 *
 * Why: `StreamComplete` over gRPC went through connect's gRPC handler, a pipe of async generators
 * (split, decompress, parse, invoke, serialise, compress, join, catch) that every message crosses
 * before connect-node writes it; on the main port that added ~4 ms to the time to first token, where
 * the Connect stream fast path adds ~2 ms. Here the body is read once, the implementation is called,
 * and each message it yields is serialised and written in the same turn.
 *
 * A plain call: what the gRPC unary fast path accepts (grpc-unary-fast-path.ts: HTTP/2, POST, content
 * type exactly `application/grpc` or `application/grpc+proto`, `grpc-encoding` absent or `identity`,
 * `grpc-timeout` absent or valid, `grpc-accept-encoding` absent or one string), but to a
 * server-streaming method registered without per-service options. Anything else is declined.
 *
 * What is mirrored from connect 2.1.2 (`protocol-grpc/handler-factory.js`, the transforms it pipes
 * through, and connect-node's `universalResponseToNodeResponse`), calling connect's own exported helpers
 * wherever one exists:
 * - the request body, read as the request-size guard and connect's envelope pipe read it, with their
 *   errors in their order (enveloped-message-reader.ts; "server-streaming" in ensureSingle's texts);
 * - `grpc-timeout`: `parseTimeout`; a value it refuses is declined, so connect writes that error;
 * - response compression: `compressionNegotiate` with `grpc-accept-encoding` sets `grpc-encoding`
 *   before the implementation runs, and a message of at least `compressMinBytes` is compressed, as
 *   `transformCompressEnvelope` does;
 * - the head: status 200 and the response header, the same HEADERS frame as connect's (but see below for when);
 * - each message is written as soon as it is yielded, and the implementation is asked for the next one
 *   only once the write is done: at once, or after 'drain' when `write` returned false;
 * - the end: the trailer through `addTrailers` (`grpc-status` "0", or `setTrailerStatus` with the
 *   error: its metadata, `grpc-status`, percent-encoded `grpc-message`, `grpc-status-details-bin`), then
 *   `end()`. A thrown non-ConnectError becomes connect's bare "internal error". Every error, from the
 *   body or the implementation, before or after messages, is therefore status 200, the head, the
 *   messages so far and the error in the trailer, never a trailers-only response, exactly as connect;
 * - when the client goes away (RST_STREAM, or the response closed early), the context's signal aborts
 *   (fast-path-context.ts) and the implementation's iterator is returned as soon as it yields, or at
 *   once if the path is waiting on 'drain', so the upstream call is cancelled; nothing more is written.
 *
 * Where this path differs from connect, on purpose, as the Connect stream fast path does
 * (connect-stream-fast-path.ts): connect sends the head when the first message is ready, or at the end
 * when there is none (its `untilFirst`, connect-node's write "after first read"); this path sends it as
 * soon as the implementation is found waiting on its upstream (stream-head.ts says why), so headers
 * the implementation sets after its first turn are not sent. The context's signal is not aborted when the call ends normally, nor
 * with the error after the implementation threw (connect aborts it in both cases, when nothing listens
 * any more); and when the client goes away while a write waits for 'drain', this path returns the
 * implementation where connect may wait for a 'drain' that never comes. The body reader's one known
 * difference is described in enveloped-message-reader.ts.
 */
import { create, type DescMessage, type MessageInitShape } from "@bufbuild/protobuf";
import { Code, ConnectError, type ConnectRouter, type ContextValues } from "@connectrpc/connect";
import { encodeEnvelope, envelopeCompress, type Compression } from "@connectrpc/connect/protocol";
import { setTrailerStatus } from "@connectrpc/connect/protocol-grpc";
import type { Http2ServerResponse } from "node:http2";
import type { ConnectUnaryFastPathOptions } from "./connect-unary-fast-path.js";
import { readEnvelopedMessage } from "./enveloped-message-reader.js";
import type { FastPathContext } from "./fast-path-context.js";
import { openGrpcFastPathCall } from "./grpc-fast-path-call.js";
import { createFastPathRoutes, type ServerStreamingRoute } from "./fast-path-routes.js";
import type { NodeRequest, NodeResponse } from "./node-handler.js";
import { nodeHeaders, nodeResponseHeaders } from "./node-response-headers.js";
import { StreamHead } from "./stream-head.js";
import { StreamResponseWriter } from "./stream-response-writer.js";


export interface GrpcStreamFastPath {
  /** As the other fast paths': returns `router` wrapped so that its server-streaming methods are known here too. */
  learnFrom(router: ConnectRouter): ConnectRouter;
  /**
   * Serves the call when it is a plain gRPC server-streaming call over HTTP/2 and returns the promise
   * of its end; otherwise returns undefined without touching the request or the response.
   */
  serve(request: NodeRequest, response: NodeResponse, path: string, requestId: string, contextValues: ContextValues): Promise<void> | undefined;
}

/** Creates the fast path; register services through `learnFrom(router)`, then call `serve` per request. */
export function createGrpcStreamFastPath(options: ConnectUnaryFastPathOptions): GrpcStreamFastPath {
  const routes = createFastPathRoutes("server_streaming", options);
  const { limits, runningCalls } = routes;
  const shutdownSignal = options.shutdownSignal;

  const compressedEnvelope = async (data: Uint8Array, compression: Compression): Promise<Uint8Array> => {
    const compressed = await envelopeCompress({ flags: 0, data }, compression, limits.compressMinBytes);
    return encodeEnvelope(compressed.flags, compressed.data);
  };

  const answer = async (
    route: ServerStreamingRoute,
    context: FastPathContext,
    request: NodeRequest,
    response: NodeResponse,
    requestId: string,
    compression: Compression | null,
  ): Promise<void> => {
    const { spec, serialization } = route;
    // HTTP/2 only (checked in serve): writeHead, addTrailers and end are the Http2ServerResponse's.
    const http2Response = response as Http2ServerResponse;
    const writer = new StreamResponseWriter(response);
    const trailer = context.responseTrailer;
    // Over HTTP/2, writeHead sends the HEADERS frame at once: no flush needed for an early head.
    const head = new StreamHead(
      () => http2Response.writeHead(200, nodeResponseHeaders(context)),
      () => !writer.gone && !response.writableEnded,
    );
    let iterator: AsyncIterator<MessageInitShape<DescMessage>> | undefined;
    /** The implementation's iterator ended (done or threw): there is nothing to return. */
    let iteratorEnded = false;
    try {
      const input = await readEnvelopedMessage(request, {
        maxBytes: options.readMaxBytes,
        requestId,
        parse: serialization.getI(true).parse,
        methodKind: "server-streaming",
        skippedFlags: undefined,
      });
      const output = serialization.getO(true);
      iterator = spec.impl(input, context)[Symbol.asyncIterator]();
      for (let first = true; ; first = false) {
        let result: IteratorResult<MessageInitShape<DescMessage>>;
        try {
          const next = iterator.next();
          if (first) head.sendOnceWaiting();
          result = await next;
        } catch (thrown) {
          iteratorEnded = true;
          throw thrown;
        }
        if (result.done === true) {
          iteratorEnded = true;
          break;
        }
        if (writer.gone) break;
        const data = output.serialize(create(spec.method.output, result.value));
        // Without compression, no await: a message costs no extra turn of the microtask queue.
        const bytes = compression === null ? encodeEnvelope(0, data) : await compressedEnvelope(data, compression);
        if (writer.gone) break;
        head.sendNow();
        const drained = writer.write(bytes);
        if (drained !== undefined) await drained;
        if (writer.gone) break;
      }
    } catch (thrown) {
      const error = thrown instanceof ConnectError ? thrown : new ConnectError("internal error", Code.Internal, undefined, undefined, thrown);
      setTrailerStatus(trailer, error);
    } finally {
      context.finish();
      // Stopped before its end (the client went away, or a message could not be serialised): return
      // the implementation, so its `finally` runs and its upstream call is cancelled.
      if (iterator !== undefined && !iteratorEnded) returnQuietly(iterator);
    }
    // The client went away: connect's write would fail and be dropped; there is nobody to answer.
    if (writer.gone || response.writableEnded) return;
    // As connect-node's universalResponseToNodeResponse: the head if no message sent it, trailers, end.
    head.sendNow();
    http2Response.addTrailers(nodeHeaders(trailer));
    http2Response.end();
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

/** Calls `return()` on an iterator the path stops consuming; what it returns or throws no longer matters. */
function returnQuietly(iterator: AsyncIterator<unknown>): void {
  try {
    iterator.return?.().catch(() => undefined);
  } catch {
    // An iterator whose return() throws at once has nothing left to stop.
  }
}
