/**
 * One TCP port for HTTP/1.1 and cleartext HTTP/2 (h2c with prior knowledge, which is what gRPC clients,
 * grpcurl -plaintext and connect's HTTP/2 transport send). Each new connection is sniffed: if its first
 * 24 bytes are the HTTP/2 client preface it goes to an `http2` server, otherwise to an `http` server.
 * The bytes read are pushed back with `unshift` so the chosen server parses the stream from the start.
 */
import http, { type IncomingMessage, type ServerResponse } from "node:http";
import http2, { type Http2ServerRequest, type Http2ServerResponse, type ServerHttp2Session } from "node:http2";
import net, { type AddressInfo, type Socket } from "node:net";

/** The HTTP/2 connection preface every h2 client sends first (RFC 9113 section 3.4). */
export const http2Preface = Buffer.from("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", "latin1");

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

export interface ProtocolListenerOptions {
  /** How long a new connection may take to send its first bytes; 10 s by default. */
  sniffTimeoutMs?: number;
}

/** Creates the sniffing listener serving `handler` over both HTTP versions. */
export function createProtocolListener(handler: AnyRequestHandler, options: ProtocolListenerOptions = {}): ProtocolListener {
  const sniffTimeoutMs = options.sniffTimeoutMs ?? 10_000;
  const http1Server = http.createServer(handler as (request: IncomingMessage, response: ServerResponse) => void);
  const http2Server = http2.createServer(handler as (request: Http2ServerRequest, response: Http2ServerResponse) => void);
  const sockets = new Set<Socket>();
  const sessions = new Set<ServerHttp2Session>();
  let accepting = true;

  http2Server.on("session", (session) => {
    sessions.add(session);
    session.once("close", () => sessions.delete(session));
    if (!accepting) session.close();
  });
  http2Server.on("sessionError", () => undefined);
  http1Server.on("clientError", (_error, socket) => socket.destroy());

  // Nagle's algorithm would hold back small frames (a gRPC trailer, the last SSE-sized chunk) waiting
  // for an ACK; a gateway's responses are latency-sensitive, so disable it as node:http does.
  const netServer = net.createServer({ noDelay: true, keepAlive: true }, (socket) => {
    sockets.add(socket);
    socket.once("close", () => sockets.delete(socket));
    sniff(socket);
  });

  function sniff(socket: Socket): void {
    let buffered: Buffer = Buffer.alloc(0);
    socket.setTimeout(sniffTimeoutMs, () => socket.destroy());
    const abandon = (): void => {
      socket.destroy();
    };
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
      socket.removeListener("end", abandon);
      socket.removeListener("error", abandon);
      socket.setTimeout(0);
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
        netServer.listen(port, host, () => {
          netServer.removeListener("error", reject);
          resolve((netServer.address() as AddressInfo).port);
        });
      });
    },
    stopAccepting() {
      if (!accepting) return;
      accepting = false;
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
