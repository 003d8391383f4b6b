/**
 * The Node request handler for every protocol, as connect-node's `connectNodeAdapter` serves a router,
 * plus what must happen before connect parses anything: the request id (so even an oversize body's
 * error carries it), CORS and preflights, the request-size guard (oversize bodies get ErrorInfo),
 * plain-HTTP routes such as the playground, and in-flight counts for graceful shutdown.
 */
import { Code, ConnectError, createContextValues, type ConnectRouter } from "@connectrpc/connect";
import { universalRequestFromNodeRequest, universalResponseToNodeResponse } from "@connectrpc/connect-node";
import type { UniversalHandler } from "@connectrpc/connect/protocol";
import type { IncomingMessage, ServerResponse } from "node:http";
import http2, { type Http2ServerRequest, type Http2ServerResponse, type ServerHttp2Stream } from "node:http2";
import type { Logger } from "pino";
import type { AuthenticatedCaller } from "../callers/caller-authenticator.js";
import { certificateCallerKey } from "./client-certificate-caller.js";
import type { CorsPolicy } from "./cors.js";
import { pickRequestId, requestIdHeader, requestIdKey } from "./request-id.js";
import { guardRequestSize } from "./request-size-guard.js";

export type NodeRequest = IncomingMessage | Http2ServerRequest;
export type NodeResponse = ServerResponse | Http2ServerResponse;

/**
 * Extra plain-HTTP routes, tried for paths that are not RPCs. Return true when the request was handled
 * (e.g. the `/playground` page), false to fall through to 404.
 */
export type ExtraRoutes = (request: NodeRequest, response: NodeResponse) => boolean;

export interface NodeHandlerOptions {
  router: ConnectRouter;
  /** Largest accepted request message (connect's readMaxBytes and our guard). */
  maxMessageBytes: number;
  cors: CorsPolicy;
  extraRoutes?: ExtraRoutes;
  logger: Logger;
  /** Called with the path when a request starts and when its response closes (graceful shutdown counts these). */
  onRequestStart?: (path: string) => void;
  onRequestEnd?: (path: string) => void;
  /** True while draining: HTTP/1.1 responses then carry `connection: close`. */
  isDraining?: () => boolean;
  /** The caller a request's verified client certificate stands for (client-certificate-caller.ts). */
  certificateCaller?: (request: NodeRequest) => AuthenticatedCaller | undefined;
}

/** Request handler usable by both `http.createServer` and `http2.createServer`. */
export function createNodeHandler(options: NodeHandlerOptions): (request: NodeRequest, response: NodeResponse) => void {
  const handlers = new Map<string, UniversalHandler>();
  for (const handler of options.router.handlers) handlers.set(handler.requestPath, handler);

  return function handleRequest(request, response) {
    const path = (request.url ?? "").split("?", 1)[0];
    options.onRequestStart?.(path);
    response.once("close", () => options.onRequestEnd?.(path));
    const requestId = pickRequestId(request.headers[requestIdHeader]);
    response.setHeader(requestIdHeader, requestId);
    if (options.isDraining?.() && request.httpVersionMajor === 1) response.setHeader("connection", "close");
    for (const [name, value] of Object.entries(options.cors.responseHeaders(request.headers))) response.setHeader(name, value);

    const preflight = options.cors.preflight(request.method, request.headers);
    if (preflight) {
      response.writeHead(preflight.status, preflight.headers);
      response.end();
      return;
    }

    const handler = handlers.get(path);
    if (!handler) {
      if (options.extraRoutes?.(request, response)) return;
      response.writeHead(404, { "content-type": "text/plain; charset=utf-8" });
      response.end("not found\n");
      return;
    }

    if (!("stream" in request)) failWritesAfterEarlyClose(response);
    const contextValues = createContextValues().set(requestIdKey, requestId);
    const byCertificate = options.certificateCaller?.(request);
    if (byCertificate !== undefined) contextValues.set(certificateCallerKey, byCertificate);
    let universalRequest = universalRequestFromNodeRequest(request, response, undefined, contextValues);
    const kind = handler.method.methodKind;
    if (kind === "unary" || kind === "server_streaming") {
      const drainBytes = drainAfterRefusalFactor * options.maxMessageBytes;
      universalRequest = guardRequestSize(universalRequest, options.maxMessageBytes, requestId, () => stopReading(request, response, drainBytes));
    }
    handler(universalRequest)
      .then((universalResponse) => universalResponseToNodeResponse(universalResponse, response))
      .catch((reason: unknown) => {
        const code = ConnectError.from(reason).code;
        if (code === Code.Aborted || code === Code.Canceled) return;
        options.logger.warn({ err: reason, requestId, rpc: path }, "writing the response failed");
      });
  };
}

/**
 * After a refused body, what happens to the rest of it. HTTP/2: see drainRefusedStream. HTTP/1.1: the
 * answer says `connection: close`; the socket then stops being read and is destroyed shortly after the
 * answer, not at once: closing with the client's bytes unread sends a TCP reset that can wipe the
 * answer before the client reads it.
 */
function stopReading(request: NodeRequest, response: NodeResponse, drainBytes: number): Promise<void> | undefined {
  if ("stream" in request) return drainRefusedStream(request.stream, drainBytes);
  const socket = request.socket;
  if (!response.headersSent) response.setHeader("connection", "close");
  response.once("finish", () => {
    // Node ends a `connection: close` socket and destroys it once the end is written (destroySoon);
    // keep it open, unread, for the linger instead.
    socket.removeListener("finish", socket.destroy);
    socket.pause();
    setTimeout(() => socket.destroy(), lingerAfterRefusalMs).unref();
  });
}

/** How long a refused client has to read its answer before the connection (HTTP/1.1) or stream (HTTP/2) is closed. */
const lingerAfterRefusalMs = 1_000;

/** How much of a refused HTTP/2 body is read and dropped, in multiples of the message limit, before the stream is reset instead. */
const drainAfterRefusalFactor = 4;

/**
 * Reads the rest of a refused HTTP/2 body and drops it, then resolves, so that the answer goes out once
 * the client has sent everything. Past `maxBytes` it resolves at once instead: flow control holds the
 * client back and the stream is reset after the answer (plus the linger, so the reset cannot overtake
 * the answer's trailers).
 *
 * Why not answer at once: Node's HTTP/2 client (so connect-node's) counts the body it has queued but
 * not yet sent against its session's maxSessionMemory (10 MiB) and never gives that back when the
 * stream is reset with the body still queued, which happens on an early answer (the server resets the
 * stream, or connect's client itself does when the answer is an error). After a few refused 2 MiB
 * bodies the client's session refuses every later answer, on every stream, with ENHANCE_YOUR_CALM
 * (docs/library-defects.md). The cost is bounded: `maxBytes` of reading per refused call, and the
 * stream's requestTimeoutMs (listener.ts) for a client that trickles.
 */
function drainRefusedStream(stream: ServerHttp2Stream, maxBytes: number): Promise<void> {
  return new Promise((resolve) => {
    let drained = 0;
    const finish = (): void => {
      stream.removeListener("data", drop);
      stream.removeListener("end", finish);
      stream.removeListener("close", finish);
      resolve();
    };
    const drop = (chunk: Buffer): void => {
      drained += chunk.byteLength;
      if (drained <= maxBytes) return;
      finish();
      stream.pause();
      const reset = (): void => {
        // CANCEL, not NO_ERROR: Node defers a NO_ERROR reset until the client's side has ended, which it never does.
        setTimeout(() => stream.close(http2.constants.NGHTTP2_CANCEL), lingerAfterRefusalMs).unref();
      };
      if (stream.writableFinished) reset();
      else stream.once("finish", reset);
    };
    if (stream.readableEnded || stream.closed) {
      resolve();
      return;
    }
    // Node's compatibility layer feeds the stream to the request object, which connect no longer
    // reads and which pauses the stream once it is full: take its place.
    stream.removeAllListeners("data");
    stream.on("data", drop);
    stream.once("end", finish);
    stream.once("close", finish);
    stream.resume();
  });
}

/**
 * connect-node writes each message and waits for "drain" when the socket refuses it, but an HTTP/1.1
 * response whose client went away never emits "drain" and calls no write callback: the call would
 * wait forever, its handler and interceptors never finishing (docs/library-defects.md). When the
 * response closes before it finished, later writes fail at once (destroy) and a waiting one is woken
 * with the same error, which connect reports as the client's abort.
 */
function failWritesAfterEarlyClose(response: NodeResponse): void {
  response.once("close", () => {
    if (response.writableFinished) return;
    const gone = Object.assign(new Error("the client went away"), { code: "ERR_STREAM_DESTROYED" });
    response.destroy(gone);
    if (response.listenerCount("error") > 0) response.emit("error", gone);
  });
}
