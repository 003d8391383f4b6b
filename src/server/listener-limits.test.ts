/** The listener's connection limits, over real sockets: slow heads, slow bodies, idle sessions, stream caps, bad heads. */
import type { ServerResponse } from "node:http";
import http2 from "node:http2";
import { connect, type Socket } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { defaultConnectionLimits, type ConnectionLimits } from "../config/connection-limits.js";
import { connectRawH2, grpcStreamRequestBody } from "../../test/reliability/support/raw-h2.js";
import { createProtocolListener, type ProtocolListener } from "./listener.js";

let listener: ProtocolListener | undefined;

/** A listener whose handler reads the whole body, then answers with its size. */
async function start(limits: Partial<ConnectionLimits>): Promise<number> {
  listener = createProtocolListener(
    (request, response) => {
      let size = 0;
      request.on("data", (chunk: Buffer) => (size += chunk.length));
      request.on("end", () => {
        response.writeHead(200, { "content-type": "text/plain" });
        response.end(String(size));
      });
    },
    { ...defaultConnectionLimits, ...limits },
  );
  return listener.listen(0, "127.0.0.1");
}

afterEach(async () => {
  listener?.stopAccepting();
  listener?.destroyAll();
  await listener?.whenClosed();
});

/** Opens a socket, writes `head` then one byte every `gapMs` forever; resolves with what came back and when it closed. */
function trickle(port: number, head: string, gapMs: number): Promise<{ received: string; closedAfterMs: number }> {
  return new Promise((resolve) => {
    const began = Date.now();
    const socket: Socket = connect(port, "127.0.0.1");
    let received = "";
    let timer: NodeJS.Timeout | undefined;
    socket.on("connect", () => {
      socket.write(head);
      timer = setInterval(() => socket.writable && socket.write("x"), gapMs);
    });
    socket.on("data", (data) => (received += data.toString("latin1")));
    socket.on("error", () => undefined);
    socket.on("close", () => {
      clearInterval(timer);
      resolve({ received, closedAfterMs: Date.now() - began });
    });
  });
}

function rawRequest(port: number, bytes: string): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect(port, "127.0.0.1", () => socket.write(bytes));
    let received = "";
    socket.on("data", (data) => (received += data.toString("latin1")));
    socket.on("error", () => undefined);
    socket.on("close", () => resolve(received));
  });
}

async function waitUntil(condition: () => boolean, timeoutMs = 2_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > until) throw new Error("timed out waiting");
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/**
 * Opens `count` streams on one session to a listener that answers each with a head and keeps it open,
 * waits for every head, then cancels them all; resolves with the session a moment later.
 */
async function cancelServedStreams(limits: Partial<ConnectionLimits>, count: number): Promise<http2.ClientHttp2Session> {
  listener = createProtocolListener((_request, response) => response.writeHead(200), { ...defaultConnectionLimits, ...limits });
  const port = await listener.listen(0, "127.0.0.1");
  const session = http2.connect(`http://127.0.0.1:${port}`);
  session.on("error", () => undefined);
  const streams = await Promise.all(
    Array.from({ length: count }, async () => {
      const stream = session.request({ ":method": "POST", ":path": "/" });
      stream.on("error", () => undefined);
      stream.end("x");
      await new Promise((resolve) => stream.once("response", resolve));
      return stream;
    }),
  );
  for (const stream of streams) stream.close(http2.constants.NGHTTP2_CANCEL);
  await new Promise((resolve) => setTimeout(resolve, 200));
  return session;
}

describe("connection limits", () => {
  it("closes an HTTP/1.1 connection whose head trickles in past headersTimeoutMs (slowloris)", async () => {
    const port = await start({ headersTimeoutMs: 300 });
    const result = await trickle(port, "GET / HTTP/1.1\r\nHost: x\r\nX-Slow: ", 50);
    expect(result.closedAfterMs).toBeLessThan(2_500);
    expect(result.received).toMatch(/^HTTP\/1\.1 408/);
  });

  it("closes a connection that never sends its first bytes after headersTimeoutMs", async () => {
    const port = await start({ headersTimeoutMs: 200 });
    const result = await trickle(port, "", 60_000);
    expect(result.closedAfterMs).toBeLessThan(1_500);
  });

  it("closes an HTTP/1.1 request whose body trickles in past requestTimeoutMs", async () => {
    const port = await start({ headersTimeoutMs: 300, requestTimeoutMs: 600 });
    const result = await trickle(port, "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n", 50);
    expect(result.closedAfterMs).toBeLessThan(3_000);
    expect(result.received).toMatch(/^HTTP\/1\.1 408/);
  });

  it("resets an HTTP/2 stream whose body trickles in past requestTimeoutMs", async () => {
    const port = await start({ headersTimeoutMs: 400, requestTimeoutMs: 400 });
    const session = http2.connect(`http://127.0.0.1:${port}`);
    const began = Date.now();
    const code = await new Promise<number>((resolve) => {
      const stream = session.request({ ":method": "POST", ":path": "/" });
      const timer = setInterval(() => !stream.destroyed && stream.write("x"), 50);
      stream.on("error", () => undefined);
      stream.on("close", () => {
        clearInterval(timer);
        resolve(stream.rstCode ?? -1);
      });
    });
    session.destroy();
    expect(code).toBe(http2.constants.NGHTTP2_CANCEL);
    expect(Date.now() - began).toBeLessThan(2_000);
  });

  it("closes an HTTP/2 session that has no open stream for idleTimeoutMs, and keeps a busy one", async () => {
    const port = await start({ idleTimeoutMs: 300 });
    const session = http2.connect(`http://127.0.0.1:${port}`);
    const began = Date.now();
    // One request that stays open (its body never ends) for longer than the idle timeout.
    const stream = session.request({ ":method": "POST", ":path": "/" });
    stream.on("error", () => undefined);
    stream.resume();
    await new Promise((resolve) => setTimeout(resolve, 700));
    expect(session.closed || session.destroyed).toBe(false);
    stream.end();
    await new Promise<void>((resolve) => session.once("close", () => resolve()));
    expect(Date.now() - began).toBeLessThan(2_500);
  });

  it("advertises a cap on concurrent HTTP/2 streams", async () => {
    const port = await start({ maxConcurrentStreams: 7 });
    const session = http2.connect(`http://127.0.0.1:${port}`);
    const settings = await new Promise<http2.Settings>((resolve) => session.once("remoteSettings", resolve));
    session.destroy();
    expect(settings.maxConcurrentStreams).toBe(7);
  });

  it("closes an HTTP/2 session that resets streams as it opens them, without serving one (rapid reset)", async () => {
    let served = 0;
    listener = createProtocolListener(
      () => {
        served++;
      },
      { ...defaultConnectionLimits, maxStreamResetsPerSecond: 1_000, maxUnservedStreamResetsPerSecond: 10 },
    );
    const port = await listener.listen(0, "127.0.0.1");
    const connection = await connectRawH2(port);
    const body = grpcStreamRequestBody("chat", "reset me");
    for (let index = 0; index < 100; index++) connection.reset(connection.open("/", body));
    await connection.flushed();
    await waitUntil(() => connection.closed);
    expect(connection.counts.goaway).toBe("ENHANCE_YOUR_CALM");
    expect(served).toBe(0);
  });

  it("answers an HTTP/2 health check in the read that brings it, before the streams that came ahead of it in that read", async () => {
    const order: string[] = [];
    listener = createProtocolListener((request) => {
      order.push(request.url ?? "");
    });
    const port = await listener.listen(0, "127.0.0.1");
    const connection = await connectRawH2(port);
    connection.open("/modelgate.v1.GatewayService/StreamComplete", grpcStreamRequestBody("chat", "first"));
    connection.open("/grpc.health.v1.Health/Check", Buffer.from([0, 0, 0, 0, 0]));
    await connection.flushed();
    await waitUntil(() => order.length === 2);
    expect(order).toEqual(["/grpc.health.v1.Health/Check", "/modelgate.v1.GatewayService/StreamComplete"]);
  });

  it("keeps an HTTP/2 session whose client cancels streams it was served, up to maxStreamResetsPerSecond", async () => {
    const session = await cancelServedStreams({ maxStreamResetsPerSecond: 50, maxUnservedStreamResetsPerSecond: 5 }, 20);
    expect(session.closed || session.destroyed).toBe(false);
    session.destroy();
  });

  it("closes an HTTP/2 session that cancels more served streams than maxStreamResetsPerSecond", async () => {
    const session = await cancelServedStreams({ maxStreamResetsPerSecond: 10, maxUnservedStreamResetsPerSecond: 5 }, 20);
    await waitUntil(() => session.closed || session.destroyed);
    session.destroy();
  });

  it("answers a malformed HTTP/1.1 request with 400, not a reset", async () => {
    const port = await start({});
    expect(await rawRequest(port, "GARBAGE\r\n\r\n")).toMatch(/^HTTP\/1\.1 400/);
  });

  it("answers an oversized HTTP/1.1 head with 431", async () => {
    const port = await start({ maxHeaderBytes: 1024 });
    expect(await rawRequest(port, `GET / HTTP/1.1\r\nHost: x\r\nX-Big: ${"a".repeat(4096)}\r\n\r\n`)).toMatch(/^HTTP\/1\.1 431/);
  });

  it("closes an idle HTTP/1.1 keep-alive connection after keepAliveTimeoutMs", async () => {
    const port = await start({ keepAliveTimeoutMs: 300 });
    const began = Date.now();
    const received = await rawRequest(port, "GET / HTTP/1.1\r\nHost: x\r\n\r\n");
    expect(received).toMatch(/^HTTP\/1\.1 200/);
    expect(Date.now() - began).toBeLessThan(2_000);
  });

  it("lets a response stream for longer than requestTimeoutMs once the request has arrived", async () => {
    listener = createProtocolListener(
      (request, response) => {
        request.resume();
        request.on("end", () => {
          const answer = response as ServerResponse;
          answer.writeHead(200);
          answer.write("a");
          setTimeout(() => answer.end("b"), 1_500);
        });
      },
      { ...defaultConnectionLimits, headersTimeoutMs: 300, requestTimeoutMs: 500 },
    );
    const port = await listener.listen(0, "127.0.0.1");
    const response = await fetch(`http://127.0.0.1:${port}/`, { method: "POST", body: "x" });
    expect(await response.text()).toBe("ab");
  });
});
