/**
 * The Connect unary fast path: serves a plain Connect unary call straight from the Node request and
 * gives the answer connect's universal handler would give, and declines everything else, which then
 * goes to connect unchanged.
 *
 * Why: connect 2.1's universal handler costs about 0.3 ms of CPU per call before any service code runs
 * (`new URL`, three undici `Headers`, a deadline AbortController plus a linked one, and an `abort()`
 * without a reason in a `finally` on every call, which builds a DOMException). Connect unary calls are
 * the gateway's hottest RPC path (`Complete` from browsers, curl, the SDKs), so they get this path: one
 * AbortController, one `Headers`, and nothing else that is not needed.
 *
 * A plain call: POST to a unary method registered without per-service options; content type exactly
 * `application/json` (optionally `; charset=utf-8`) or `application/proto`; no request compression
 * (`content-encoding` absent or `identity`); `connect-timeout-ms` absent or valid; `connect-protocol-version`
 * absent or "1". GET, streaming methods, gRPC, gRPC-Web and anything unusual are declined.
 *
 * What is mirrored from connect 2.1.2 (`protocol-connect/handler-factory.js`, `createUnaryHandler`), by
 * calling connect's own exported helpers wherever one exists:
 * - (de)serialisation: `createMethodSerializationLookup` with the router's options (no json/binary
 *   options, so JSON ignores unknown fields; the router's `readMaxBytes`), and the output is
 *   normalised with `create` as connect's `normalize` does, so parse errors keep connect's codes and texts;
 * - `connect-timeout-ms`: `parseTimeout`; a value it refuses is declined, so connect writes that error;
 * - `connect-protocol-version`: our router does not require it, and connect then never reads it; a value
 *   other than "1" is declined all the same, so such a client's answer is connect's by construction;
 * - errors: `codeToHttpStatus`, `errorToJsonBytes`, `application/json`, error metadata as headers; a
 *   thrown non-ConnectError becomes connect's bare "internal error";
 * - response compression: `compressionNegotiate` with the router's encodings for bodies of at least
 *   `compressMinBytes`, as connect does (the request itself is never compressed on this path);
 * - the body size limit: the request-size guard's MESSAGE_TOO_LARGE error, from Content-Length before
 *   reading, or by counting; a body shorter or longer than its Content-Length gets connect's
 *   "protocol error: promised ..." INVALID_ARGUMENT. The one known difference: given a Content-Length
 *   over the limit, connect's `readAllBytes` refuses before it reads the guarded body, with its own bare
 *   RESOURCE_EXHAUSTED (no ErrorInfo); this path gives the guard's answer, the one the guard exists for.
 *
 * The call's `HandlerContext`, and when its signal aborts, are in fast-path-context.ts.
 */
import { create } from "@bufbuild/protobuf";
import {
  Code,
  ConnectError,
  type ConnectRouter,
  type ContextValues,
} from "@connectrpc/connect";
import {
  compressionNegotiate,
  type Compression,
} from "@connectrpc/connect/protocol";
import {
  codeToHttpStatus,
  contentTypeUnaryJson,
  contentTypeUnaryProto,
  errorToJsonBytes,
  headerContentType,
  headerUnaryAcceptEncoding,
  headerUnaryEncoding,
  parseTimeout,
  protocolVersion,
} from "@connectrpc/connect/protocol-connect";
import type { OutgoingHttpHeaders, ServerResponse } from "node:http";
import { isIdentityEncoding, readTimeoutHeader, singleHeader } from "./fast-path-headers.js";
import { FastPathContext } from "./fast-path-context.js";
import { createFastPathRoutes, type UnaryRoute } from "./fast-path-routes.js";
import type { NodeRequest, NodeResponse } from "./node-handler.js";
import { messageTooLargeError } from "./request-size-guard.js";

/**
 * The connect router options the fast path mirrors, and so the only ones the router may be given: the
 * node handler builds the router from this very object, so an option added there (interceptors, JSON
 * options, a maximum timeout) fails to compile until the fast path handles it.
 */
export interface ConnectUnaryFastPathOptions {
  /** Largest accepted request message: connect's limit and the size guard's. */
  readMaxBytes: number;
  /** Aborting it aborts every running call's signal. */
  shutdownSignal: AbortSignal;
  /** Encodings for compressing large responses, as connect does. */
  acceptCompression: Compression[];
}


export interface ConnectUnaryFastPath {
  /**
   * Returns `router` wrapped so that every service (or rpc) registered through it is also known here,
   * with the same implementation object. Registrations with their own options are left to connect.
   */
  learnFrom(router: ConnectRouter): ConnectRouter;
  /**
   * Serves the call when it is a plain Connect unary call and returns the promise of its answer;
   * otherwise returns undefined without touching the request or the response. The promise rejects only
   * when connect's handler would have rejected too (an error that cannot be serialised).
   */
  serve(request: NodeRequest, response: NodeResponse, path: string, requestId: string, contextValues: ContextValues): Promise<void> | undefined;
}

/** Creates the fast path; register services through `learnFrom(router)`, then call `serve` per request. */
export function createConnectUnaryFastPath(options: ConnectUnaryFastPathOptions): ConnectUnaryFastPath {
  const routes = createFastPathRoutes("unary", options);
  const { limits, runningCalls } = routes;
  const shutdownSignal = options.shutdownSignal;

  const answer = async (
    route: UnaryRoute,
    context: FastPathContext,
    request: NodeRequest,
    response: NodeResponse,
    requestId: string,
  ): Promise<void> => {
    const { spec, serialization } = route;
    let status = 200;
    let body: Uint8Array;
    try {
      const bytes = await readRequestBody(request, options.readMaxBytes, requestId);
      const input = serialization.getI(context.binary).parse(bytes);
      const output = create(spec.method.output, await spec.impl(input, context));
      body = serialization.getO(context.binary).serialize(output);
    } catch (thrown) {
      const error = thrown instanceof ConnectError ? thrown : new ConnectError("internal error", Code.Internal, undefined, undefined, thrown);
      status = codeToHttpStatus(error.code);
      context.responseHeader.set(headerContentType, contentTypeUnaryJson);
      error.metadata.forEach((value, key) => context.responseHeader.set(key, value));
      body = errorToJsonBytes(error, undefined);
    } finally {
      context.finish();
    }
    if (body.byteLength >= limits.compressMinBytes) {
      const accepted = singleHeader(request.headers["accept-encoding"]);
      const compression = compressionNegotiate(options.acceptCompression, null, accepted ?? null, headerUnaryAcceptEncoding).response;
      if (compression) {
        body = await compression.compress(body);
        context.setResponseHeader(headerUnaryEncoding, compression.name);
      }
    }
    // The client went away: connect's write would fail and be dropped; there is nobody to answer.
    if (response.destroyed || response.writableEnded) return;
    const header = unaryResponseHeader(context, context.trailerIfUsed, body.byteLength);
    // Both Node response types take (status, headers) and then end(body); the union's overloads do not unify.
    (response as ServerResponse).writeHead(status, header);
    (response as ServerResponse).end(body);
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
      const binary = isBinaryContentType(headers["content-type"]);
      if (binary === undefined) return undefined;
      if (!isIdentityEncoding(headers["content-encoding"]) || !isIdentityEncoding(headers["connect-content-encoding"])) return undefined;
      const version = headers["connect-protocol-version"];
      if (version !== undefined && version !== protocolVersion) return undefined;
      const timeout = readTimeoutHeader(headers["connect-timeout-ms"], parseTimeout);
      if (timeout === undefined) return undefined;
      const timeoutMs = timeout.timeoutMs;
      const context = new FastPathContext({
        method: route.spec.method,
        request,
        response,
        protocolName: "connect",
        responseContentType: binary ? contentTypeUnaryProto : contentTypeUnaryJson,
        binary,
        timeoutMs,
        values: contextValues,
        shutdownSignal,
        runningCalls,
      });
      return answer(route, context, request, response, requestId);
    },
  };
}

/** true for `application/proto`, false for JSON, undefined for anything else (declined). */
function isBinaryContentType(contentType: string | undefined): boolean | undefined {
  switch (contentType) {
    case "application/json":
    case "application/json; charset=utf-8":
    case "application/json;charset=utf-8":
      return false;
    case "application/proto":
      return true;
    default:
      return undefined;
  }
}



/**
 * connect's unary response header: the response header, then each trailer as `trailer-<name>`
 * (connect's `trailerMux`: appended, so a clash joins with ", "), then Content-Length.
 */
function unaryResponseHeader(context: FastPathContext, trailer: Headers | undefined, contentLength: number): OutgoingHttpHeaders {
  const header: Record<string, string> = {};
  context.forEachResponseHeader((value, key) => {
    header[key] = value;
  });
  trailer?.forEach((value, key) => {
    const name = `trailer-${key}`;
    const existing = header[name];
    header[name] = existing === undefined ? value : `${existing}, ${value}`;
  });
  header["content-length"] = String(contentLength);
  return header;
}

/**
 * Reads the whole request body, refusing it as the request-size guard and connect's `readAllBytes`
 * would: MESSAGE_TOO_LARGE from Content-Length without reading, or as soon as the count passes the limit;
 * "promised N bytes" when the body does not match its Content-Length. The listeners stay attached once
 * the promise is settled (they do nothing then): removing them would need named closures, which cost a
 * `defineProperty` each under tsx (see fast-path-context.ts), and a refused body is still read to
 * its end, so a keep-alive connection stays usable.
 */
function readRequestBody(request: NodeRequest, maxBytes: number, requestId: string): Promise<Uint8Array> {
  const declared = Number.parseInt(singleHeader(request.headers["content-length"]) ?? "", 10);
  if (Number.isFinite(declared) && declared > maxBytes) return Promise.reject(messageTooLargeError(declared, maxBytes, requestId));
  // connect's length hint: a safe, non-negative integer, else no hint.
  const hint = Number.isSafeInteger(declared) && declared >= 0 ? declared : undefined;
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let total = 0;
    let settled = false;
    request.on("data", (chunk: Buffer) => {
      if (settled) return;
      total += chunk.byteLength;
      if (total > maxBytes || (hint !== undefined && total > hint)) {
        settled = true;
        reject(total > maxBytes ? messageTooLargeError(undefined, maxBytes, requestId) : promisedBytesError(hint ?? 0, total));
        return;
      }
      chunks.push(chunk);
    });
    request.once("end", () => {
      if (settled) return;
      settled = true;
      if (hint !== undefined && total < hint) reject(promisedBytesError(hint, total));
      else resolve(chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, total));
    });
    request.once("error", (error: unknown) => {
      if (settled) return;
      settled = true;
      reject(error);
    });
    // Before "end" only when the client reset the exchange mid-body.
    request.once("close", () => {
      if (settled) return;
      settled = true;
      reject(new ConnectError("the client went away before the request body ended", Code.Canceled));
    });
  });
}

function promisedBytesError(promised: number, received: number): ConnectError {
  return new ConnectError(`protocol error: promised ${promised} bytes, received ${received}`, Code.InvalidArgument);
}
