import http from "node:http";
import { connect, type AddressInfo, type Socket } from "node:net";
import http2 from "node:http2";
import { afterEach, describe, expect, it } from "vitest";
import { createProtocolListener, http2Preface, type ProtocolListener } from "./listener.js";

let listener: ProtocolListener | undefined;

async function start(): Promise<number> {
  listener = createProtocolListener((request, response) => {
    response.writeHead(200, { "content-type": "text/plain" });
    response.end(`http/${request.httpVersion}`);
  });
  return listener.listen(0, "127.0.0.1");
}

afterEach(async () => {
  listener?.stopAccepting();
  listener?.destroyAll();
  await listener?.whenClosed();
});

function rawExchange(port: number, chunks: Buffer[], gapMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket: Socket = connect(port, "127.0.0.1");
    let received = "";
    socket.on("data", (data) => {
      received += data.toString("latin1");
      if (received.includes("http/1.1")) socket.end();
    });
    socket.on("error", reject);
    socket.on("close", () => resolve(received));
    socket.on("connect", async () => {
      for (const chunk of chunks) {
        socket.write(chunk);
        await new Promise((wait) => setTimeout(wait, gapMs));
      }
    });
  });
}

describe("createProtocolListener", () => {
  it("serves HTTP/1.1 on the port", async () => {
    const port = await start();
    const response = await fetch(`http://127.0.0.1:${port}/`);
    expect(await response.text()).toBe("http/1.1");
  });

  it("serves HTTP/2 with prior knowledge on the same port", async () => {
    const port = await start();
    const session = http2.connect(`http://127.0.0.1:${port}`);
    const body = await new Promise<string>((resolve, reject) => {
      const stream = session.request({ ":path": "/" });
      let text = "";
      stream.on("data", (chunk: Buffer) => (text += chunk.toString()));
      stream.on("end", () => resolve(text));
      stream.on("error", reject);
    });
    session.close();
    expect(body).toBe("http/2.0");
  });

  it("waits for the rest of a request line that arrives a few bytes at a time", async () => {
    const port = await start();
    const request = Buffer.from("GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    // "P" alone could still be the start of the HTTP/2 preface; so could "PRI"; "G" cannot.
    const received = await rawExchange(port, [request.subarray(0, 1), request.subarray(1, 3), request.subarray(3)], 20);
    expect(received).toContain("http/1.1");
  });

  it("recognises the HTTP/2 preface when it arrives split", async () => {
    const port = await start();
    const received = await new Promise<string>((resolve, reject) => {
      const socket = connect(port, "127.0.0.1", async () => {
        socket.write(http2Preface.subarray(0, 5));
        await new Promise((wait) => setTimeout(wait, 30));
        socket.write(http2Preface.subarray(5));
        // An empty SETTINGS frame; the server answers with its own SETTINGS (frame type 4).
        socket.write(Buffer.from([0, 0, 0, 4, 0, 0, 0, 0, 0]));
      });
      socket.once("data", (data) => {
        resolve(data.subarray(3, 4).toString("hex"));
        socket.destroy();
      });
      socket.on("error", reject);
    });
    expect(received).toBe("04");
  });

  it("leaves no listener of its own on a connection it handed over", async () => {
    // The handler notes how many "timeout" listeners its request's socket has.
    const counts: number[] = [];
    const record = (request: http.IncomingMessage, response: http.ServerResponse): void => {
      counts.push(request.socket.listenerCount("timeout"));
      response.end("ok");
    };
    listener = createProtocolListener(record as never);
    const port = await listener.listen(0, "127.0.0.1");
    await (await fetch(`http://127.0.0.1:${port}/`)).text();
    // The same handler behind a plain node:http server: the listener must add nothing to it.
    const plain = http.createServer(record);
    await new Promise<void>((resolve) => plain.listen(0, "127.0.0.1", () => resolve()));
    const plainPort = (plain.address() as AddressInfo).port;
    await (await fetch(`http://127.0.0.1:${plainPort}/`)).text();
    plain.closeAllConnections();
    plain.close();
    expect(counts).toHaveLength(2);
    expect(counts[0]).toBe(counts[1]);
  });

  it("drops a connection that closes before sending anything", async () => {
    const port = await start();
    await new Promise<void>((resolve) => {
      const socket = connect(port, "127.0.0.1", () => socket.end());
      socket.on("close", () => resolve());
    });
    await new Promise((wait) => setTimeout(wait, 20));
    expect(listener?.connectionCount()).toBe(0);
  });
});
