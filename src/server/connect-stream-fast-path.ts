/**
 * The Connect server-streaming fast path: serves a plain Connect server-streaming call straight from the
 * Node request and gives the answer connect's universal handler would give, byte for byte, and declines
 * everything else, which then goes to connect unchanged.
 *
 * Why: `StreamComplete` is how clients get tokens as they come, so its time to first token is the
 * gateway's most visible latency. Through connect, a traced call over HTTP/1.1 spent ~1.05 ms between
 * the client sending it and the service implementation being entered (the universal request and
 * handler, `new URL`, three `Headers`, linked AbortControllers, a pipe of about ten async generators
 * being built and primed), and every message then crossed that pipe (serialise, catch, compress, join,
 * each a generator step) before connect-node wrote it. Here the body is read once, the implementation
 * is called, and each message it yields is serialised and written in the same turn.
 *
 * A plain call: POST (over HTTP/1.1 or HTTP/2) to a server-streaming method registered without
 * per-service options; content type exactly `application/connect+json` (optionally `; charset=utf-8`,
 * which connect accepts) or `application/connect+proto`; `connect-content-encoding` and `content-encoding`
 * absent or `identity`; `connect-timeout-ms` absent or valid; `connect-protocol-version` absent or "1".
 * GET, unary and other streaming methods, gRPC, gRPC-Web and anything unusual are declined.
 *
 * What is mirrored from connect 2.1.2 (`protocol-connect/handler-factory.js`, `createStreamHandler`, the
 * transforms it pipes through, and connect-node's `universalResponseToNodeResponse`), calling connect's
 * own exported helpers wherever one exists:
 * - (de)serialisation: `createMethodSerializationLookup` with the router's options, the output
 *   normalised with `create` as connect's `normalizeIterable` does;
 * - the request body (enveloped-message-reader.ts): the request-size guard's MESSAGE_TOO_LARGE (the
 *   guard wraps server-streaming requests too), connect's readMaxBytes check, parse errors, "missing" and
 *   "extra input message for server-streaming method", "incomplete envelope"; an envelope with the
 *   end-stream flag is skipped, as connect skips it. Every one of these, like an error from the
 *   implementation, ends the stream with status 200 and the error in the end-stream message;
 * - `connect-timeout-ms`: `parseTimeout`; a value it refuses is declined, so connect writes that error;
 * - response compression: `compressionNegotiate` with `connect-accept-encoding` sets
 *   `connect-content-encoding` before the implementation runs, and `envelopeCompress` compresses every
 *   envelope (the end-stream one too) of at least `compressMinBytes`;
 * - the head: status 200 and the response header, the same bytes as connect's (but see below for when);
 * - each message is written as soon as it is yielded, and the implementation is asked for the next one
 *   only once the write is done: at once, or after 'drain' when `write` returned false;
 * - the end: `createEndStreamSerialization` with the trailer as metadata, plus the error (a thrown
 *   non-ConnectError becomes connect's bare "internal error"), whose metadata connect merges in;
 * - when the client goes away, the context's signal aborts (fast-path-context.ts) and the
 *   implementation's iterator is returned as soon as it yields, or at once if it is waiting on 'drain',
 *   so the upstream call is cancelled (connect returns it when a write fails); nothing more is written.
 *
 * Where this path differs from connect, on purpose: connect sends the head when the first envelope is
 * ready (the first message, or the end-stream message); this path sends it as soon as the
 * implementation is found waiting on its upstream (stream-head.ts says why), so headers the
 * implementation sets after its first turn are not sent. Connect writes the end-stream envelope and then
 * calls `end()`; this path passes the envelope to `end()`, the same bytes in one write (over HTTP/2,
 * one DATA frame with END_STREAM instead of two). As in the unary fast paths, the context's signal is not
 * aborted when the call ends normally, nor with the error after the implementation threw (connect
 * aborts it in both cases, when nothing listens any more). When the client goes away while a write
 * waits for 'drain', connect waits on for a 'drain' that never comes and leaves the implementation
 * suspended (observed with connect-node 2.1.2, HTTP/1.1 and h2c); this path returns it. And a compression that
 * fails (zlib on bytes in memory; not seen in practice) ends the stream here with an end-stream error,
 * where connect's write would fail instead. The body reader's one known difference is described in
 * enveloped-message-reader.ts.
 */
import { create, type DescMessage, type MessageInitShape } from "@bufbuild/protobuf";
import { Code, ConnectError, type ConnectRouter, type ContextValues } from "@connectrpc/connect";
import { compressionNegotiate, encodeEnvelope, envelopeCompress, type Compression } from "@connectrpc/connect/protocol";
import {
  contentTypeStreamJson,
  contentTypeStreamProto,
  createEndStreamSerialization,
  endStreamFlag,
  headerStreamAcceptEncoding,
  headerStreamEncoding,
  parseTimeout,
  protocolVersion,
} from "@connectrpc/connect/protocol-connect";
import type { ServerResponse } from "node:http";
import type { ConnectUnaryFastPathOptions } from "./connect-unary-fast-path.js";
import { readEnvelopedMessage } from "./enveloped-message-reader.js";
import { isIdentityEncoding, readTimeoutHeader } from "./fast-path-headers.js";
import { FastPathContext } from "./fast-path-context.js";
import { createFastPathRoutes, type ServerStreamingRoute } from "./fast-path-routes.js";
import type { NodeRequest, NodeResponse } from "./node-handler.js";
import { nodeResponseHeaders } from "./node-response-headers.js";
import { StreamHead } from "./stream-head.js";
import { StreamResponseWriter } from "./stream-response-writer.js";


/** What connect's stream handler uses for the end-stream message: the router sets no JSON options. */
const endStreamSerialization = createEndStreamSerialization(undefined);

export interface ConnectStreamFastPath {
  /** As the unary fast paths': returns `router` wrapped so that its server-streaming methods are known here too. */
  learnFrom(router: ConnectRouter): ConnectRouter;
  /**
   * Serves the call when it is a plain Connect server-streaming call and returns the promise of its
   * end; otherwise returns undefined without touching the request or the response. The promise
   * rejects only when connect's would have too (an end-stream message that cannot be serialised).
   */
  serve(request: NodeRequest, response: NodeResponse, path: string, requestId: string, contextValues: ContextValues): Promise<void> | undefined;
}

/**
 * Creates the fast path from the same router options as the unary fast paths (so the router gets only
 * options this path mirrors too); register services through `learnFrom(router)`, then call `serve`.
 */
export function createConnectStreamFastPath(options: ConnectUnaryFastPathOptions): ConnectStreamFastPath {
  const routes = createFastPathRoutes("server_streaming", options);
  const { limits, runningCalls } = routes;
  const shutdownSignal = options.shutdownSignal;

  /** An envelope compressed as connect's `transformCompressEnvelope` would (only when it is at least compressMinBytes). */
  const compressedEnvelope = async (flags: number, data: Uint8Array, compression: Compression): Promise<Uint8Array> => {
    const compressed = await envelopeCompress({ flags, data }, compression, limits.compressMinBytes);
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
    const writer = new StreamResponseWriter(response);
    const head = new StreamHead(
      (early) => {
        (response as ServerResponse).writeHead(200, nodeResponseHeaders(context));
        // HTTP/1.1 holds a head back until the first body write.
        if (early) (response as ServerResponse).flushHeaders();
      },
      () => !writer.gone && !response.writableEnded,
    );
    let iterator: AsyncIterator<MessageInitShape<DescMessage>> | undefined;
    /** The implementation's iterator ended (done or threw): there is nothing to return. */
    let iteratorEnded = false;
    let error: ConnectError | undefined;
    try {
      const input = await readEnvelopedMessage(request, {
        maxBytes: options.readMaxBytes,
        requestId,
        parse: serialization.getI(context.binary).parse,
        methodKind: "server-streaming",
        skippedFlags: endStreamFlag,
      });
      const output = serialization.getO(context.binary);
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
        const bytes = compression === null ? encodeEnvelope(0, data) : await compressedEnvelope(0, data, compression);
        if (writer.gone) break;
        head.sendNow();
        const drained = writer.write(bytes);
        if (drained !== undefined) await drained;
        if (writer.gone) break;
      }
    } catch (thrown) {
      error = thrown instanceof ConnectError ? thrown : new ConnectError("internal error", Code.Internal, undefined, undefined, thrown);
    } finally {
      context.finish();
      // Stopped before its end (the client went away, or a message could not be serialised): return
      // the implementation, so its `finally` runs and its upstream call is cancelled.
      if (iterator !== undefined && !iteratorEnded) returnQuietly(iterator);
    }
    // The client went away: connect's write would fail and be dropped; there is nobody to answer.
    if (writer.gone) return;
    const end = error === undefined ? { metadata: context.responseTrailer } : { metadata: context.responseTrailer, error };
    const data = endStreamSerialization.serialize(end);
    const bytes = compression === null ? encodeEnvelope(endStreamFlag, data) : await compressedEnvelope(endStreamFlag, data, compression);
    if (writer.gone) return;
    head.sendNow();
    writer.end(bytes);
  };

  return {
    learnFrom(router) {
      return routes.learnFrom(router);
    },

    serve(request, response, path, requestId, contextValues) {
      // Cheapest checks first: a declined call must cost next to nothing.
      if (request.method !== "POST") return undefined;
      const route = routes.get(path);
      if (route === undefined) return undefined;
      const headers = request.headers;
      const binary = isBinaryStreamContentType(headers["content-type"]);
      if (binary === undefined) return undefined;
      if (!isIdentityEncoding(headers["connect-content-encoding"]) || !isIdentityEncoding(headers["content-encoding"])) return undefined;
      const version = headers["connect-protocol-version"];
      if (version !== undefined && version !== protocolVersion) return undefined;
      const timeout = readTimeoutHeader(headers["connect-timeout-ms"], parseTimeout);
      if (timeout === undefined) return undefined;
      const timeoutMs = timeout.timeoutMs;
      const accepted = headers["connect-accept-encoding"];
      if (accepted !== undefined && typeof accepted !== "string") return undefined;
      const context = new FastPathContext({
        method: route.spec.method,
        request,
        response,
        protocolName: "connect",
        responseContentType: binary ? contentTypeStreamProto : contentTypeStreamJson,
        binary,
        timeoutMs,
        values: contextValues,
        shutdownSignal,
        runningCalls,
      });
      // As connect: negotiated (and announced) before the implementation runs, whatever it sends.
      const compression = compressionNegotiate(options.acceptCompression, null, accepted ?? null, headerStreamAcceptEncoding).response;
      if (compression !== null) context.setResponseHeader(headerStreamEncoding, compression.name);
      return answer(route, context, request, response, requestId, compression);
    },
  };
}

/** true for `application/connect+proto`, false for JSON, undefined for anything else (declined). */
function isBinaryStreamContentType(contentType: string | undefined): boolean | undefined {
  switch (contentType) {
    case "application/connect+json":
    case "application/connect+json; charset=utf-8":
    case "application/connect+json;charset=utf-8":
      return false;
    case "application/connect+proto":
      return true;
    default:
      return undefined;
  }
}


/** Calls `return()` on an iterator the path stops consuming; what it returns or throws no longer matters. */
function returnQuietly(iterator: AsyncIterator<unknown>): void {
  try {
    iterator.return?.().catch(() => undefined);
  } catch {
    // An iterator whose return() throws at once has nothing left to stop.
  }
}
