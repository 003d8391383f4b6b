/**
 * One TCP port for HTTP/1.1 and cleartext HTTP/2 (h2c with prior knowledge, which is what gRPC clients,
 * grpcurl -plaintext and connect's HTTP/2 transport send). Each new connection is sniffed: if its first
 * 24 bytes are the HTTP/2 client preface it goes to an `http2` server, otherwise to an `http` server.
 * The bytes read are pushed back with `unshift` so the chosen server parses the stream from the start.
 *
 * Every connection is bounded in time: the request head (headersTimeoutMs, sniffing included), the
 * whole request (requestTimeoutMs; HTTP/1.1 by Node itself, HTTP/2 per stream here), an idle HTTP/1.1
 * keep-alive connection (keepAliveTimeoutMs) and an HTTP/2 session with no open stream (idleTimeoutMs).
 * HTTP/2 advertises a stream cap and drops a session that resets streams faster than
 * maxStreamResetsPerSecond, or unserved ones faster than maxUnservedStreamResetsPerSecond (a rapid-reset
 * flood); malformed or oversized HTTP/1.1 heads get Node's 400/431/408.
 *
 * With `tls` the port speaks TLS instead (tls-termination.ts): each connection's handshake picks the HTTP
 * version by ALPN (`h2` or `http/1.1`) instead of the sniffing, and the same servers and limits serve it.
 */
import http, { type IncomingMessage, type ServerResponse } from "node:http";
import http2, { type Http2ServerRequest, type Http2ServerResponse, type Http2Stream, type ServerHttp2Session, type ServerHttp2Stream } from "node:http2";
import net, { type AddressInfo, type Socket } from "node:net";
import type { Logger } from "pino";
import { defaultConnectionLimits, type ConnectionLimits } from "../config/connection-limits.js";
import type { ServerTlsConfig } from "../config/schema.js";
import { Health } from "../../gen/health/v1/health_pb.js";
import { createTlsTermination, type TlsTermination } from "./tls-termination.js";

/** The HTTP/2 connection preface every h2 client sends first (RFC 9113 section 3.4). */
export const http2Preface = Buffer.from("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", "latin1");

/** grpc.health.v1.Health/Check, the call load balancers and `grpc_health_probe` make. */
const healthCheckPath = `/${Health.typeName}/${Health.method.check.name}`;

export type AnyRequestHandler = (
  request: IncomingMessage | Http2ServerRequest,
  response: ServerResponse | Http2ServerResponse,
) => void;

export interface ProtocolListener {
  /** Starts listening; resolves with the bound port. */
  listen(port: number, host: string): Promise<number>;
  /** Stops accepting connections; HTTP/2 sessions get GOAWAY and idle HTTP/1.1 connections close. */
  stopAccepting(): void;
  /** Resolves once every connection has closed. */
  whenClosed(): Promise<void>;
  /** Destroys every open connection and session now. */
  destroyAll(): void;
  /** Open TCP connections right now. */
  connectionCount(): number;
}

/** Serve TLS: the settings are read again for each new connection, so a config reload applies. */
export interface ListenerTls {
  config: () => ServerTlsConfig;
  logger: Logger;
}

/** Creates the sniffing listener serving `handler` over both HTTP versions. */
export function createProtocolListener(
  handler: AnyRequestHandler,
  limits: ConnectionLimits = defaultConnectionLimits,
  tls?: ListenerTls,
): ProtocolListener {
  const http1Server = http.createServer(
    {
      headersTimeout: limits.headersTimeoutMs,
      requestTimeout: limits.requestTimeoutMs,
      keepAliveTimeout: limits.keepAliveTimeoutMs,
      maxHeaderSize: limits.maxHeaderBytes,
      // Node checks the two request timeouts on this interval; its default (30 s) would let a slow
      // client overstay its timeout by that much.
      connectionsCheckingInterval: Math.min(1_000, limits.headersTimeoutMs),
    },
    handler as (request: IncomingMessage, response: ServerResponse) => void,
  );
  const http2Server = http2.createServer(
    { settings: { maxConcurrentStreams: limits.maxConcurrentStreams, maxHeaderListSize: limits.maxHeaderBytes } },
    (request: Http2ServerRequest, response: Http2ServerResponse) => {
      // Node emits each stream's request while it is still parsing the bytes of one read, before the
      // frames after its HEADERS. Starting connect's work once that read is done means a stream the
      // client reset in the same read (a rapid-reset flood), or whose session died there (a flood past
      // the stream cap), costs nothing more than Node's own bookkeeping: it is closed by then, with no
      // one to answer. closeOnResetFlood counts such streams. (process.nextTick would run before the
      // rest of the read: the rapid-reset test in listener-limits.test.ts fails with it.)
      // A health check is the exception: it is answered in the read that brings it, a turn of the loop
      // sooner, so that a load balancer's probe of a busy gateway waits for one turn, not two. A flood
      // of reset health checks still counts against maxStreamResetsPerSecond.
      if (request.url === healthCheckPath) serveStream(request, response);
      else setImmediate(serveStream, request, response);
    },
  );
  // Streams handed to `handler`: a reset of any other stream is an unserved one (closeOnResetFlood).
  const served = new WeakSet<Http2Stream>();
  const serveStream = (request: Http2ServerRequest, response: Http2ServerResponse): void => {
    if (request.stream.closed || request.stream.destroyed) return;
    served.add(request.stream);
    limitRequestTime(request, limits.requestTimeoutMs);
    handler(request, response);
  };
  const sockets = new Set<Socket>();
  const sessions = new Set<ServerHttp2Session>();
  let accepting = true;

  http2Server.on("session", (session) => {
    sessions.add(session);
    closeWhenIdle(session, limits.idleTimeoutMs);
    closeOnResetFlood(session, limits, served);
    session.once("close", () => sessions.delete(session));
    if (!accepting) session.close();
  });
  http2Server.on("sessionError", () => undefined);

  // Nagle's algorithm would hold back small frames (a gRPC trailer, the last SSE-sized chunk) waiting
  // for an ACK; a gateway's responses are latency-sensitive, so disable it as node:http does.
  const termination: TlsTermination | undefined =
    tls === undefined
      ? undefined
      : createTlsTermination({
          config: tls.config,
          logger: tls.logger,
          handshakeTimeoutMs: limits.headersTimeoutMs,
          onSecure: (secure) => (secure.alpnProtocol === "h2" ? http2Server : http1Server).emit("connection", secure),
        });
  const netServer = net.createServer({ noDelay: true, keepAlive: true }, (socket) => {
    sockets.add(socket);
    socket.once("close", () => sockets.delete(socket));
    if (termination === undefined) sniff(socket);
    else termination.accept(socket);
  });

  function sniff(socket: Socket): void {
    let buffered: Buffer = Buffer.alloc(0);
    const abandon = (): void => {
      socket.destroy();
    };
    socket.setTimeout(limits.headersTimeoutMs, abandon);
    const onReadable = (): void => {
      for (let chunk: Buffer | null = socket.read(); chunk !== null; chunk = socket.read()) {
        buffered = buffered.length === 0 ? chunk : Buffer.concat([buffered, chunk]);
      }
      const compared = Math.min(buffered.length, http2Preface.length);
      const prefaceSoFar = buffered.subarray(0, compared).equals(http2Preface.subarray(0, compared));
      if (prefaceSoFar && buffered.length < http2Preface.length) {
        // Fewer than 24 bytes so far and all match the preface: wait for more.
        if (socket.readableEnded) abandon();
        else socket.once("readable", onReadable);
        return;
      }
      // Every listener of the sniffer goes, or it would keep this closure (and the first chunk) for the
      // connection's life, and destroy the socket on a later server's timeout of its own.
      socket.removeListener("end", abandon);
      socket.removeListener("error", abandon);
      socket.setTimeout(0, abandon);
      socket.unshift(buffered);
      (prefaceSoFar ? http2Server : http1Server).emit("connection", socket);
    };
    socket.once("end", abandon);
    socket.once("error", abandon);
    socket.once("readable", onReadable);
  }

  let closed: Promise<void> | undefined;

  return {
    listen(port, host) {
      return new Promise((resolve, reject) => {
        netServer.once("error", reject);
        // A burst of new connections (thousands of clients opening streams at once) must not overflow
        // the kernel's accept queue, whose default (511) drops them before the gateway sees them.
        netServer.listen({ port, host, backlog: 4_096 }, () => {
          netServer.removeListener("error", reject);
          // The HTTP/1.1 server is fed sockets, never listens itself, and Node starts its request
          // timeout checks (and its connection tracking) on "listening": start them with ours.
          http1Server.emit("listening");
          resolve((netServer.address() as AddressInfo).port);
        });
      });
    },
    stopAccepting() {
      if (!accepting) return;
      accepting = false;
      termination?.close();
      closed = new Promise((resolve) => netServer.close(() => resolve()));
      for (const session of sessions) session.close();
      http1Server.closeIdleConnections();
    },
    whenClosed() {
      return closed ?? Promise.resolve();
    },
    destroyAll() {
      for (const session of sessions) session.destroy();
      http1Server.closeAllConnections();
      for (const socket of sockets) socket.destroy();
    },
    connectionCount: () => sockets.size,
  };
}

/** Resets an HTTP/2 stream whose request has not fully arrived within `timeoutMs` (Node does this for HTTP/1.1). */
function limitRequestTime(request: Http2ServerRequest, timeoutMs: number): void {
  if (request.complete) return;
  const timer = setTimeout(() => request.stream.close(http2.constants.NGHTTP2_CANCEL), timeoutMs);
  timer.unref();
  const clear = (): void => clearTimeout(timer);
  request.once("end", clear);
  request.stream.once("close", clear);
}

/** Closes (GOAWAY, then close) a session that has had no open stream for `idleMs`. */
function closeWhenIdle(session: ServerHttp2Session, idleMs: number): void {
  let open = 0;
  let timer: NodeJS.Timeout | undefined;
  const arm = (): void => {
    timer = setTimeout(() => session.close(), idleMs);
    timer.unref();
  };
  session.on("stream", (stream) => {
    // A stream closed before it was emitted may have emitted "close" already: never counted as open.
    if (stream.destroyed) return;
    open++;
    clearTimeout(timer);
    stream.once("close", () => {
      open--;
      if (open === 0 && !session.closed) arm();
    });
  });
  session.once("close", () => clearTimeout(timer));
  arm();
}

/**
 * Closes a session whose client cancels more than `maxStreamResetsPerSecond` streams within a second, or
 * more than `maxUnservedStreamResetsPerSecond` that the gateway had not begun serving: each reset stream
 * still costs a request's work, or at least Node's, so a flood of them (CVE-2023-44487) would starve
 * every other call. A stream already closed when Node emits it (its "aborted" fired before anyone could
 * listen) counts then.
 */
function closeOnResetFlood(
  session: ServerHttp2Session,
  limits: Pick<ConnectionLimits, "maxStreamResetsPerSecond" | "maxUnservedStreamResetsPerSecond">,
  served: WeakSet<Http2Stream>,
): void {
  let windowStart = 0;
  let resets = 0;
  let unserved = 0;
  const onReset = (stream: Http2Stream): void => {
    if (session.destroyed) return;
    const now = performance.now();
    if (now - windowStart >= 1_000) {
      windowStart = now;
      resets = 0;
      unserved = 0;
    }
    resets++;
    if (!served.has(stream)) unserved++;
    if (resets > limits.maxStreamResetsPerSecond || unserved > limits.maxUnservedStreamResetsPerSecond) {
      // GOAWAY with the code, then close the socket: streams emitted later in this read find their
      // session destroyed and are never served.
      session.destroy(new Error("HTTP/2 stream reset flood"), http2.constants.NGHTTP2_ENHANCE_YOUR_CALM);
    }
  };
  session.on("stream", (stream: ServerHttp2Stream) => {
    if (stream.closed) onReset(stream);
    else stream.once("aborted", () => onReset(stream));
  });
}
