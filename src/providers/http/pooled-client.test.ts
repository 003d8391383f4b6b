import { createServer } from "node:net";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import type { ServerResponse } from "node:http";
import { ConnectionsBusyError, ProviderError, type AttemptTimeouts, type DispatchObserver } from "../spec.js";
import { createPooledClient, type PooledClient } from "./pooled-client.js";
import { rejectionOf } from "./test-support/create-test-call.js";
import { startTestServer, type TestServer } from "./test-support/start-test-server.js";

const timeouts: AttemptTimeouts = { connectMs: 2000, firstTokenMs: 5000, idleMs: 5000, totalMs: 10_000 };
const cleanups: Array<() => Promise<void>> = [];

afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()?.();
});

async function serve(handler: Parameters<typeof startTestServer>[0], basePath = ""): Promise<TestServer> {
  const server = await startTestServer(handler, basePath);
  cleanups.push(() => server.close());
  return server;
}

function client(baseUrl: string, maxConnections = 4): PooledClient {
  const created = createPooledClient({ baseUrl, maxConnections, connectTimeoutMs: 2000 });
  cleanups.push(() => created.close());
  return created;
}

function withinMs<T>(promise: Promise<T>, ms: number): Promise<T | "late"> {
  return Promise.race([promise, new Promise<"late">((resolve) => setTimeout(() => resolve("late"), ms))]);
}

describe("createPooledClient", () => {
  it("appends the path to the base URL's path and keeps both queries", async () => {
    const server = await serve((_request, response) => {
      response.end("ok");
    }, "/v1?key=k");
    const response = await client(server.baseUrl).request({
      path: "/chat/completions?api-version=2024-10-21",
      headers: { "x-test": "yes" },
      body: "{}",
      signal: new AbortController().signal,
      timeouts,
    });
    expect(await response.text(1024)).toBe("ok");
    expect(server.requests[0].url).toBe("/v1/chat/completions?key=k&api-version=2024-10-21");
    expect(server.requests[0].headers["x-test"]).toBe("yes");
    expect(server.requests[0].body).toBe("{}");
  });

  it("returns status and headers of an error response", async () => {
    const server = await serve((_request, response) => {
      response.writeHead(429, { "retry-after": "3", "content-type": "application/json" });
      response.end("{}");
    });
    const response = await client(server.baseUrl).request({ path: "/x", headers: {}, signal: new AbortController().signal, timeouts });
    expect(response.status).toBe(429);
    expect(response.headers.get("retry-after")).toBe("3");
  });

  it("maps a refused connection to unavailable", async () => {
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, "127.0.0.1", resolve));
    const { port } = probe.address() as AddressInfo;
    await new Promise<void>((resolve) => probe.close(() => resolve()));
    const error = await rejectionOf(
      client(`http://127.0.0.1:${port}`).request({ path: "/", headers: {}, signal: new AbortController().signal, timeouts }),
    );
    expect(error).toBeInstanceOf(ProviderError);
    expect((error as ProviderError).kind).toBe("unavailable");
  });

  it("maps a missing response head within firstTokenMs to timeout", async () => {
    const server = await serve(() => undefined);
    const error = await rejectionOf(
      client(server.baseUrl).request({
        path: "/",
        headers: {},
        signal: new AbortController().signal,
        timeouts: { ...timeouts, firstTokenMs: 50 },
      }),
    );
    expect((error as ProviderError).kind).toBe("timeout");
  });

  it("maps the total time limit to timeout while the body is being read", async () => {
    const server = await serve((_request, response) => {
      response.writeHead(200);
      response.write("a");
    });
    const response = await client(server.baseUrl).request({
      path: "/",
      headers: {},
      signal: new AbortController().signal,
      timeouts: { ...timeouts, totalMs: 80 },
    });
    const error = await rejectionOf(response.text(1024));
    expect((error as ProviderError).kind).toBe("timeout");
  });

  it("maps an idle body to timeout", async () => {
    const server = await serve((_request, response) => {
      response.writeHead(200);
      response.write("a");
    });
    const response = await client(server.baseUrl).request({
      path: "/",
      headers: {},
      signal: new AbortController().signal,
      timeouts: { ...timeouts, idleMs: 50 },
    });
    const error = await rejectionOf(response.text(1024));
    expect((error as ProviderError).kind).toBe("timeout");
  });

  it("maps a caller abort to canceled and closes the upstream request within 100 ms", async () => {
    const server = await serve((_request, response) => {
      response.writeHead(200);
      response.write("first");
    });
    const controller = new AbortController();
    const response = await client(server.baseUrl).request({ path: "/", headers: {}, signal: controller.signal, timeouts });
    const iterator = response.body[Symbol.asyncIterator]();
    await iterator.next();
    const pending = iterator.next();
    controller.abort();
    const error = await rejectionOf(pending);
    expect((error as ProviderError).kind).toBe("canceled");
    expect(await withinMs(server.requests[0].aborted, 100)).not.toBe("late");
  });

  it("rejects at once with canceled when the signal is already aborted", async () => {
    const server = await serve((_request, response) => {
      response.end();
    });
    const error = await rejectionOf(
      client(server.baseUrl).request({ path: "/", headers: {}, signal: AbortSignal.abort(), timeouts }),
    );
    expect((error as ProviderError).kind).toBe("canceled");
    expect(server.requests).toHaveLength(0);
  });

  it("frees the socket when the consumer stops reading early", async () => {
    const server = await serve((request, response) => {
      response.writeHead(200);
      response.write(request.url);
      if (request.url === "/second") response.end();
    });
    const pooled = client(server.baseUrl, 1);
    const first = await pooled.request({ path: "/first", headers: {}, signal: new AbortController().signal, timeouts });
    for await (const chunk of first.body) {
      expect(new TextDecoder().decode(chunk)).toBe("/first");
      break;
    }
    expect(await withinMs(server.requests[0].aborted, 100)).not.toBe("late");
    const second = await pooled.request({ path: "/second", headers: {}, signal: new AbortController().signal, timeouts });
    expect(await second.text(1024)).toBe("/second");
  });

  it("delivers a body larger than its queue limit whole, in order, while the reader lags", async () => {
    const chunk = "x".repeat(64 * 1024);
    const server = await serve((_request, response) => {
      response.writeHead(200);
      for (let index = 0; index < 16; index++) response.write(`${index}:${chunk}`);
      response.end("end");
    });
    const response = await client(server.baseUrl).request({ path: "/", headers: {}, signal: new AbortController().signal, timeouts });
    let text = "";
    for await (const piece of response.body) {
      // A slow reader: the upstream socket is paused meanwhile, and nothing is lost.
      await new Promise((resolve) => setTimeout(resolve, 2));
      text += Buffer.from(piece).toString("utf8");
    }
    const expected = Array.from({ length: 16 }, (_, index) => `${index}:${chunk}`).join("") + "end";
    expect(text.length).toBe(expected.length);
    expect(text).toBe(expected);
  });

  it("refuses a body that passes maxBytes with malformed-response and closes the connection", async () => {
    let written = 0;
    const server = await serve((_request, response) => {
      response.writeHead(200);
      const piece = "x".repeat(16 * 1024);
      const pump = (): void => {
        while (!response.destroyed && response.write(piece)) written += piece.length;
        if (!response.destroyed) response.once("drain", pump);
      };
      pump();
    });
    const response = await client(server.baseUrl).request({ path: "/", headers: {}, signal: new AbortController().signal, timeouts });
    const error = await rejectionOf(response.text(64 * 1024));
    expect(error).toMatchObject({ kind: "malformed-response", message: "The provider's response exceeded 65536 bytes (maxResponseBytes)." });
    expect(await withinMs(server.requests[0].aborted, 100)).not.toBe("late");
    // What the socket buffers held when the client closed it, not an ever-growing body.
    expect(written).toBeLessThan(32 * 1024 * 1024);
  });

  it("refuses a body whose Content-Length passes maxBytes without reading it", async () => {
    const server = await serve((_request, response) => {
      response.writeHead(200, { "content-length": String(10 * 1024 * 1024) });
      response.write("x");
    });
    const response = await client(server.baseUrl).request({ path: "/", headers: {}, signal: new AbortController().signal, timeouts });
    const error = await rejectionOf(response.text(1024));
    expect(error).toMatchObject({ kind: "malformed-response", message: "The provider's response exceeded 1024 bytes (maxResponseBytes)." });
    expect(await withinMs(server.requests[0].aborted, 100)).not.toBe("late");
  });

  it("reads a body of exactly maxBytes", async () => {
    const server = await serve((_request, response) => {
      response.end("y".repeat(1024));
    });
    const response = await client(server.baseUrl).request({ path: "/", headers: {}, signal: new AbortController().signal, timeouts });
    expect(await response.text(1024)).toHaveLength(1024);
  });

  it("refuses to read a body twice", async () => {
    const server = await serve((_request, response) => {
      response.end("once");
    });
    const response = await client(server.baseUrl).request({ path: "/", headers: {}, signal: new AbortController().signal, timeouts });
    expect(await response.text(1024)).toBe("once");
    expect(() => response.body[Symbol.asyncIterator]()).toThrow(/only once/);
  });
});

describe("createPooledClient with every connection busy", () => {
  /** A server that answers only when the test says so; `held` are the responses not yet ended, in arrival order. */
  async function holdingServer(): Promise<{ server: TestServer; held: ServerResponse[]; ports: number[] }> {
    const held: ServerResponse[] = [];
    const ports: number[] = [];
    const server = await serve((request, response) => {
      ports.push(response.socket?.remotePort ?? 0);
      response.writeHead(200);
      response.write(request.url);
      held.push(response);
    });
    return { server, held, ports };
  }

  function observer(log: string[], name: string): DispatchObserver {
    return { waiting: () => log.push(`${name} waiting`), sent: () => log.push(`${name} sent`) };
  }

  const until = async (condition: () => boolean): Promise<void> => {
    for (let waited = 0; !condition(); waited += 5) {
      if (waited > 2_000) throw new Error("condition not met within 2 s");
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  };

  it("queues requests past maxConnections in order, sending each as a connection frees, and says so", async () => {
    const { server, held } = await holdingServer();
    const pooled = createPooledClient({ baseUrl: server.baseUrl, maxConnections: 1, maxQueued: 4 });
    cleanups.push(() => pooled.close());
    const log: string[] = [];
    const send = (path: string) =>
      pooled.request({ path, headers: {}, signal: new AbortController().signal, timeouts, dispatch: observer(log, path) });
    const responses = [send("/a"), send("/b"), send("/c")];
    expect(log).toEqual(["/b waiting", "/c waiting"]);
    for (const path of ["/a", "/b", "/c"]) {
      await until(() => held.length === 1);
      expect(server.requests.map((request) => request.url).at(-1)).toBe(path);
      held.pop()?.end();
    }
    for (const response of responses) expect((await (await response).text(1024)).startsWith("/")).toBe(true);
    expect(log).toEqual(["/b waiting", "/c waiting", "/a sent", "/b sent", "/c sent"]);
  });

  it("sheds a request at once when every connection is busy and maxQueued requests wait", async () => {
    const { server, held } = await holdingServer();
    const pooled = createPooledClient({ baseUrl: server.baseUrl, maxConnections: 1, maxQueued: 1 });
    cleanups.push(() => pooled.close());
    const send = (path: string) => pooled.request({ path, headers: {}, signal: new AbortController().signal, timeouts });
    const first = send("/a");
    const second = send("/b");
    const error = await rejectionOf(send("/c"));
    expect(error).toBeInstanceOf(ConnectionsBusyError);
    expect(error).not.toBeInstanceOf(ProviderError);
    await until(() => held.length === 1);
    held.pop()?.end();
    await (await first).text(1024);
    await until(() => held.length === 1);
    held.pop()?.end();
    await (await second).text(1024);
    expect(server.requests.map((request) => request.url)).toEqual(["/a", "/b"]);
  });

  it("drops a request canceled while it waits: canceled at once, never sent, and the connection kept", async () => {
    const { server, held, ports } = await holdingServer();
    const pooled = createPooledClient({ baseUrl: server.baseUrl, maxConnections: 1, maxQueued: 4 });
    cleanups.push(() => pooled.close());
    const first = pooled.request({ path: "/a", headers: {}, signal: new AbortController().signal, timeouts });
    const caller = new AbortController();
    const waiting = pooled.request({ path: "/b", headers: {}, signal: caller.signal, timeouts });
    caller.abort(new Error("gone"));
    expect(await withinMs(rejectionOf(waiting), 50)).toMatchObject({ kind: "canceled" });
    await until(() => held.length === 1);
    held.pop()?.end();
    await (await first).text(1024);
    const third = pooled.request({ path: "/c", headers: {}, signal: new AbortController().signal, timeouts });
    await until(() => held.length === 1);
    held.pop()?.end();
    await (await third).text(1024);
    expect(server.requests.map((request) => request.url)).toEqual(["/a", "/c"]);
    expect(ports[1]).toBe(ports[0]);
  });

  it("runs the first-token and total limits from the send, not from the wait", async () => {
    const { server, held } = await holdingServer();
    const pooled = createPooledClient({ baseUrl: server.baseUrl, maxConnections: 1, maxQueued: 4 });
    cleanups.push(() => pooled.close());
    const first = pooled.request({ path: "/a", headers: {}, signal: new AbortController().signal, timeouts });
    const tight = { ...timeouts, firstTokenMs: 150, totalMs: 200 };
    const second = pooled.request({ path: "/b", headers: {}, signal: new AbortController().signal, timeouts: tight });
    await until(() => held.length === 1);
    await new Promise((resolve) => setTimeout(resolve, 400));
    held.pop()?.end();
    await (await first).text(1024);
    await until(() => held.length === 1);
    held.pop()?.end();
    expect(await (await second).text(1024)).toBe("/b");
  });

  it("fails the requests still waiting when it closes", async () => {
    const { server, held } = await holdingServer();
    const pooled = createPooledClient({ baseUrl: server.baseUrl, maxConnections: 1, maxQueued: 4 });
    const first = pooled.request({ path: "/a", headers: {}, signal: new AbortController().signal, timeouts });
    const waiting = pooled.request({ path: "/b", headers: {}, signal: new AbortController().signal, timeouts });
    await until(() => held.length === 1);
    const closed = pooled.close();
    expect(await withinMs(rejectionOf(waiting), 50)).toMatchObject({ kind: "unavailable" });
    held.pop()?.end();
    await (await first).text(1024);
    await closed;
    expect(server.requests.map((request) => request.url)).toEqual(["/a"]);
  });
});
