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
 *   errors in their order: the guard's MESSAGE_TOO_LARGE (from Content-Length, the first envelope's
 *   declared length, or by counting), connect's readMaxBytes check of every later envelope header,
 *   "received compressed envelope ...", parse errors, "received extra input message", "missing input
 *   message", "protocol error: incomplete envelope";
 * - the answer as connect-node writes it: status 200 and the response header once the implementation
 *   has returned or thrown, then the message, then the trailer (`grpc-status` "0", or `setTrailerStatus`
 *   with the error: its metadata, `grpc-status`, percent-encoded `grpc-message` and
 *   `grpc-status-details-bin`) through `addTrailers`; a thrown non-ConnectError becomes connect's bare
 *   "internal error". An error is therefore headers plus trailers, not a trailers-only response, exactly
 *   as connect sends it.
 * The one known difference: connect reads the body through the stream's async iterator, which may join
 * chunks that arrive together; this path sees them as they arrive. Only a body with several envelopes
 * and two errors at once could be refused with the other of the two.
 *
 * The call's `HandlerContext`, and when its signal aborts, are in connect-unary-context.ts.
 */
import { create } from "@bufbuild/protobuf";
import { Code, ConnectError, type ConnectRouter, type ContextValues } from "@connectrpc/connect";
import {
  compressedFlag,
  compressionNegotiate,
  encodeEnvelope,
  type Compression,
} from "@connectrpc/connect/protocol";
import {
  contentTypeProto,
  grpcStatusOk,
  headerAcceptEncoding,
  headerEncoding,
  headerGrpcStatus,
  parseTimeout,
  setTrailerStatus,
} from "@connectrpc/connect/protocol-grpc";
import type { OutgoingHttpHeaders } from "node:http";
import type { Http2ServerResponse } from "node:http2";
import { ConnectUnaryContext } from "./connect-unary-context.js";
import type { ConnectUnaryFastPathOptions } from "./connect-unary-fast-path.js";
import type { NodeRequest, NodeResponse } from "./node-handler.js";
import { messageTooLargeError } from "./request-size-guard.js";
import { createUnaryRoutes, type UnaryRoute } from "./unary-fast-path-routes.js";

/** connect's `maxTimeoutMs` when the router sets none (validateUniversalHandlerOptions). */
const connectMaxTimeoutMs = Number.MAX_SAFE_INTEGER;

/** gRPC frames each message with a 5-byte prefix: flags, then the length as a big-endian uint32. */
const envelopeHeaderBytes = 5;

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
  const routes = createUnaryRoutes(options);
  const { limits, runningCalls } = routes;
  const shutdownSignal = options.shutdownSignal;

  const answer = async (
    route: UnaryRoute,
    context: ConnectUnaryContext,
    request: NodeRequest,
    response: NodeResponse,
    requestId: string,
    compression: Compression | null,
  ): Promise<void> => {
    const { spec, serialization } = route;
    const trailer = context.responseTrailer;
    let body: Uint8Array | undefined;
    try {
      const input = await readUnaryMessage(request, options.readMaxBytes, requestId, serialization.getI(true).parse);
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
    http2Response.writeHead(200, nodeHeaders(context.responseHeader));
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
      const headers = request.headers;
      const contentType = headers["content-type"];
      if (contentType !== "application/grpc" && contentType !== contentTypeProto) return undefined;
      const encoding = headers["grpc-encoding"];
      if (encoding !== undefined && encoding !== "identity") return undefined;
      let timeoutMs: number | undefined;
      const timeoutHeader = headers["grpc-timeout"];
      if (timeoutHeader !== undefined) {
        if (typeof timeoutHeader !== "string") return undefined;
        const timeout = parseTimeout(timeoutHeader, connectMaxTimeoutMs);
        if (timeout.error) return undefined;
        timeoutMs = timeout.timeoutMs;
      }
      const accepted = headers["grpc-accept-encoding"];
      if (accepted !== undefined && typeof accepted !== "string") return undefined;
      const context = new ConnectUnaryContext({
        method: route.spec.method,
        request,
        response,
        protocolName: "grpc",
        responseContentType: contentTypeProto,
        binary: true,
        timeoutMs,
        values: contextValues,
        shutdownSignal,
        runningCalls,
      });
      context.responseTrailer.set(headerGrpcStatus, grpcStatusOk);
      const compression = compressionNegotiate(options.acceptCompression, null, accepted ?? null, headerAcceptEncoding).response;
      if (compression !== null) context.responseHeader.set(headerEncoding, compression.name);
      return answer(route, context, request, response, requestId, compression);
    },
  };
}

/** connect-node's `webHeaderToNodeHeaders` for one `Headers` (lower-case names, repeated ones as arrays). */
function nodeHeaders(header: Headers): OutgoingHttpHeaders {
  const result: Record<string, string | string[]> = Object.create(null) as Record<string, string | string[]>;
  header.forEach((value, key) => {
    const existing = result[key];
    if (existing === undefined) result[key] = value;
    else if (Array.isArray(existing)) existing.push(value);
    else result[key] = [existing, value];
  });
  return result;
}

/**
 * Reads the body of a unary gRPC call and returns its one message, parsed, refusing it as connect's
 * pipe behind the request-size guard would (see the file comment for the errors, in their order).
 * `parse` runs as soon as an envelope is complete, as in connect, so a parse error wins over what
 * follows it. Listeners stay attached once settled, as in the Connect fast path's body reader.
 */
function readUnaryMessage<T>(request: NodeRequest, maxBytes: number, requestId: string, parse: (data: Uint8Array) => T): Promise<T> {
  const declared = Number.parseInt(singleHeader(request.headers["content-length"]) ?? "", 10);
  if (Number.isFinite(declared) && declared - envelopeHeaderBytes > maxBytes) {
    return Promise.reject(messageTooLargeError(declared - envelopeHeaderBytes, maxBytes, requestId));
  }
  return new Promise((resolve, reject) => {
    const reader = new EnvelopeReader(maxBytes, requestId, parse);
    let settled = false;
    request.on("data", (chunk: Buffer) => {
      if (settled) return;
      try {
        reader.push(chunk);
      } catch (error) {
        settled = true;
        reject(error);
      }
    });
    request.once("end", () => {
      if (settled) return;
      settled = true;
      try {
        resolve(reader.finish());
      } catch (error) {
        reject(error);
      }
    });
    request.once("error", (error: unknown) => {
      if (settled) return;
      settled = true;
      reject(error);
    });
    // Before "end" only when the client reset the stream mid-body.
    request.once("close", () => {
      if (settled) return;
      settled = true;
      reject(new ConnectError("the client went away before the request body ended", Code.Canceled));
    });
  });
}

/**
 * The request-size guard's checks, then connect's envelope decoder (`createEnvelopeDecoder`), then
 * connect's per-envelope steps up to `ensureSingle`, fed chunk by chunk. `push` throws the first error.
 */
class EnvelopeReader<T> {
  private total = 0;
  /** The first envelope's header, as the guard collects it. */
  private readonly prefix = new Uint8Array(envelopeHeaderBytes);
  private pending: Buffer = Buffer.alloc(0);
  /** The length of the envelope whose header was consumed and whose data is incomplete. */
  private currentLength: number | undefined;
  private currentFlags = 0;
  private count = 0;
  private message: T | undefined;

  constructor(
    private readonly maxBytes: number,
    private readonly requestId: string,
    private readonly parse: (data: Uint8Array) => T,
  ) {}

  push(chunk: Buffer): void {
    // The request-size guard (guardRequestSize): the first envelope's declared length, then the count.
    const before = this.total;
    this.total += chunk.byteLength;
    if (before < envelopeHeaderBytes) {
      const copied = Math.min(envelopeHeaderBytes - before, chunk.byteLength);
      this.prefix.set(chunk.subarray(0, copied), before);
      if (before + copied === envelopeHeaderBytes) {
        const declared = new DataView(this.prefix.buffer).getUint32(1);
        if (declared > this.maxBytes) throw messageTooLargeError(declared, this.maxBytes, this.requestId);
      }
    }
    if (this.total - envelopeHeaderBytes > this.maxBytes) throw messageTooLargeError(undefined, this.maxBytes, this.requestId);

    // connect's decoder: every envelope complete in this chunk, or its readMaxBytes error first.
    this.pending = this.pending.byteLength === 0 ? chunk : Buffer.concat([this.pending, chunk]);
    const envelopes: { flags: number; data: Uint8Array }[] = [];
    for (;;) {
      if (this.currentLength === undefined) {
        if (this.pending.byteLength < envelopeHeaderBytes) break;
        const length = this.pending.readUInt32BE(1);
        if (length > this.maxBytes) {
          throw new ConnectError(`message size ${length} is larger than configured readMaxBytes ${this.maxBytes}`, Code.ResourceExhausted);
        }
        this.currentFlags = this.pending[0];
        this.currentLength = length;
        this.pending = this.pending.subarray(envelopeHeaderBytes);
      }
      if (this.pending.byteLength < this.currentLength) break;
      envelopes.push({ flags: this.currentFlags, data: this.pending.subarray(0, this.currentLength) });
      this.pending = this.pending.subarray(this.currentLength);
      this.currentLength = undefined;
    }

    // transformDecompressEnvelope (no request compression on this path), transformParseEnvelope, ensureSingle.
    for (const { flags, data } of envelopes) {
      if ((flags & compressedFlag) === compressedFlag) {
        throw new ConnectError("received compressed envelope, but do not know how to decompress", Code.Internal);
      }
      const message = this.parse(data);
      this.count += 1;
      if (this.count > 1) throw new ConnectError("protocol error: received extra input message for unary method", Code.Unimplemented);
      this.message = message;
    }
  }

  /** The body ended: its one message, or connect's error for what is missing. */
  finish(): T {
    if (this.pending.byteLength > 0) throw new ConnectError("protocol error: incomplete envelope", Code.InvalidArgument);
    if (this.count === 0 || this.message === undefined) {
      throw new ConnectError("protocol error: missing input message for unary method", Code.Unimplemented);
    }
    return this.message;
  }
}

function singleHeader(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value.join(", ") : value;
}
