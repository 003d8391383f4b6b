/**
 * The Node request handler for every protocol: connect's router (gRPC, gRPC-Web, Connect) served the way
 * `connectNodeAdapter` does it, plus what has to happen around connect, before it parses anything:
 * the request id (header or generated, echoed as `x-request-id`), CORS and preflights, the
 * request-size guard that gives oversize bodies a proper ErrorInfo, extra plain-HTTP routes (the
 * playground), and in-flight tracking for graceful shutdown. Plain Connect unary calls are then served
 * by the Connect unary fast path (connect-unary-fast-path.ts), plain gRPC unary calls over HTTP/2 by
 * the gRPC unary fast path (grpc-unary-fast-path.ts), plain Connect server-streaming calls by the
 * Connect stream fast path (connect-stream-fast-path.ts) and plain gRPC server-streaming calls over
 * HTTP/2 by the gRPC stream fast path (grpc-stream-fast-path.ts), which answer as connect would for a fraction
 * of the CPU and latency; every other call goes to connect-node's own `universalRequestFromNodeRequest`
 * / `universalResponseToNodeResponse`, which do the protocol work.
 */
import { createConnectRouter, createContextValues, Code, ConnectError, type ConnectRouter, type ContextValues } from "@connectrpc/connect";
import {
  compressionBrotli,
  compressionGzip,
  universalRequestFromNodeRequest,
  universalResponseToNodeResponse,
} from "@connectrpc/connect-node";
import type { UniversalHandler } from "@connectrpc/connect/protocol";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Http2ServerRequest, Http2ServerResponse } from "node:http2";
import type { Logger } from "pino";
import { createConnectStreamFastPath } from "./connect-stream-fast-path.js";
import { createConnectUnaryFastPath, type ConnectUnaryFastPathOptions } from "./connect-unary-fast-path.js";
import type { CorsPolicy } from "./cors.js";
import { createGrpcStreamFastPath } from "./grpc-stream-fast-path.js";
import { createGrpcUnaryFastPath } from "./grpc-unary-fast-path.js";
import { guardRequestSize } from "./request-size-guard.js";
import { pickRequestId, requestIdHeader, requestIdKey } from "./request-id.js";

export type NodeRequest = IncomingMessage | Http2ServerRequest;
export type NodeResponse = ServerResponse | Http2ServerResponse;

/**
 * Extra plain-HTTP routes, tried for paths that are not RPCs. Return true when the request was handled
 * (e.g. the `/playground` page), false to fall through to 404.
 */
export type ExtraRoutes = (request: NodeRequest, response: NodeResponse) => boolean;

export interface NodeHandlerOptions {
  routes: (router: ConnectRouter) => void;
  /** Largest accepted request message (connect's readMaxBytes and our guard). */
  maxMessageBytes: number;
  /** Aborting it aborts every running handler's context signal. */
  shutdownSignal: AbortSignal;
  cors: CorsPolicy;
  extraRoutes?: ExtraRoutes;
  logger: Logger;
  /** Called with the path when a request starts and when its response closes (graceful shutdown counts these). */
  onRequestStart?: (path: string) => void;
  onRequestEnd?: (path: string) => void;
  /** True while draining: HTTP/1.1 responses then carry `connection: close`. */
  isDraining?: () => boolean;
  /**
   * false sends every call through connect, including the plain Connect unary calls the fast path
   * serves by default. Only the fast path's tests turn it off, to compare both answers.
   */
  connectUnaryFastPath?: boolean;
  /** The same for the gRPC unary fast path (plain gRPC unary calls over HTTP/2). */
  grpcUnaryFastPath?: boolean;
  /** The same for the Connect stream fast path (plain Connect server-streaming calls). */
  connectStreamFastPath?: boolean;
  /** The same for the gRPC stream fast path (plain gRPC server-streaming calls over HTTP/2). */
  grpcStreamFastPath?: boolean;
}

/** Request handler usable by both `http.createServer` and `http2.createServer`. */
export function createNodeHandler(options: NodeHandlerOptions): (request: NodeRequest, response: NodeResponse) => void {
  // Typed as the fast paths' options: they answer as this router would, so the router gets only
  // options the fast paths mirror.
  const routerOptions: ConnectUnaryFastPathOptions = {
    readMaxBytes: options.maxMessageBytes,
    shutdownSignal: options.shutdownSignal,
    acceptCompression: [compressionGzip, compressionBrotli],
  };
  const router = createConnectRouter(routerOptions);
  const fastPath = options.connectUnaryFastPath === false ? undefined : createConnectUnaryFastPath(routerOptions);
  const grpcFastPath = options.grpcUnaryFastPath === false ? undefined : createGrpcUnaryFastPath(routerOptions);
  const streamFastPath = options.connectStreamFastPath === false ? undefined : createConnectStreamFastPath(routerOptions);
  const grpcStreamFastPath = options.grpcStreamFastPath === false ? undefined : createGrpcStreamFastPath(routerOptions);
  let learningRouter: ConnectRouter = router;
  if (fastPath) learningRouter = fastPath.learnFrom(learningRouter);
  if (grpcFastPath) learningRouter = grpcFastPath.learnFrom(learningRouter);
  if (streamFastPath) learningRouter = streamFastPath.learnFrom(learningRouter);
  if (grpcStreamFastPath) learningRouter = grpcStreamFastPath.learnFrom(learningRouter);
  options.routes(learningRouter);
  const handlers = new Map<string, UniversalHandler>();
  for (const handler of router.handlers) handlers.set(handler.requestPath, handler);

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

    const contextValues = createContextValues().set(requestIdKey, requestId);
    const answered =
      fastPath?.serve(request, response, path, requestId, contextValues) ??
      grpcFastPath?.serve(request, response, path, requestId, contextValues) ??
      streamFastPath?.serve(request, response, path, requestId, contextValues) ??
      grpcStreamFastPath?.serve(request, response, path, requestId, contextValues) ??
      serveThroughConnect(handler, request, response, requestId, contextValues, options.maxMessageBytes);
    answered.catch((reason: unknown) => {
      const code = ConnectError.from(reason).code;
      if (code === Code.Aborted || code === Code.Canceled) return;
      options.logger.warn({ err: reason, requestId, rpc: path }, "writing the response failed");
    });
  };
}

/** Hands the call to connect's universal handler, behind the request-size guard, and writes its answer. */
function serveThroughConnect(
  handler: UniversalHandler,
  request: NodeRequest,
  response: NodeResponse,
  requestId: string,
  contextValues: ContextValues,
  maxMessageBytes: number,
): Promise<void> {
  let universalRequest = universalRequestFromNodeRequest(request, closeSource(request, response), undefined, contextValues);
  const kind = handler.method.methodKind;
  if (kind === "unary" || kind === "server_streaming") {
    universalRequest = guardRequestSize(universalRequest, maxMessageBytes, requestId);
  }
  return handler(universalRequest).then((universalResponse) => universalResponseToNodeResponse(universalResponse, response));
}

/**
 * What connect-node watches for the end of an HTTP/1.1 exchange. connect-node aborts the request's
 * signal, without a reason, whenever the response closes, and abort() without a reason builds a
 * DOMException: on every call (measured: ~1.7 % of a saturated core). A response that was ended
 * normally needs no abort (the call is over and connect has released its listeners), so connect gets
 * this stand-in, which passes on only the closes that cut a response short (the client went away).
 * It implements exactly the two methods connect-node 2.1 calls on it (`once` and `off` of "close").
 * HTTP/2 requests are watched through the request's own stream, so they get the real response.
 */
function closeSource(request: NodeRequest, response: NodeResponse): NodeResponse {
  if ("stream" in request) return response;
  let listener: (() => void) | undefined;
  response.once("close", () => {
    if (!response.writableEnded) listener?.();
  });
  const source = {
    once(event: string, callback: () => void) {
      if (event === "close") listener = callback;
      return source;
    },
    off(event: string, callback: () => void) {
      if (event === "close" && listener === callback) listener = undefined;
      return source;
    },
  };
  return source as unknown as NodeResponse;
}
