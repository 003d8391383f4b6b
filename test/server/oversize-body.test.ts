/** An oversized request is refused and the rest of its body is not read: the connection or stream ends. */
import http2 from "node:http2";
import { connect } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestServer, type TestServer } from "./start-test-server.js";

const maxMessageBytes = 64 * 1024;
const declaredBytes = 50 * 1024 * 1024;
const path = "/modelgate.v1.GatewayService/Complete";

describe("an oversized request body", () => {
  let test: TestServer;
  let port: number;

  beforeAll(async () => {
    test = await startTestServer({ maxMessageBytes });
    port = test.server.port;
  });
  afterAll(async () => {
    await test.server.close(0);
  });

  it("over HTTP/1.1 gets its error, then the connection closes while the client is still sending", async () => {
    const { head, written } = await new Promise<{ head: string; written: number }>((resolve) => {
      const socket = connect(port, "127.0.0.1");
      let received = "";
      let written = 0;
      const chunk = Buffer.alloc(64 * 1024, 0x20);
      socket.on("connect", () => {
        socket.write(`POST ${path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${declaredBytes}\r\n\r\n`);
        const pump = (): void => {
          while (socket.writable && written < declaredBytes) {
            written += chunk.length;
            if (!socket.write(chunk)) return void socket.once("drain", pump);
          }
        };
        pump();
      });
      socket.on("data", (data) => (received += data.toString("latin1")));
      socket.on("error", () => undefined);
      socket.on("close", () => resolve({ head: received, written }));
    });
    expect(head, head).toMatch(/^HTTP\/1\.1 429/);
    expect(head, JSON.stringify(head)).toContain("limit of 65536 bytes");
    expect(written).toBeLessThan(declaredBytes / 2);
  });

  it("over HTTP/2 without a Content-Length gets its error, then the stream ends while the client is still sending", async () => {
    const session = http2.connect(`http://127.0.0.1:${port}`);
    const result = await new Promise<{ status: number; written: number }>((resolve) => {
      const stream = session.request({ ":method": "POST", ":path": path, "content-type": "application/json" });
      let status = 0;
      let written = 0;
      const chunk = Buffer.alloc(64 * 1024, 0x20);
      stream.on("response", (headers) => (status = Number(headers[":status"])));
      stream.on("error", () => undefined);
      stream.resume();
      const pump = (): void => {
        while (!stream.destroyed && written < declaredBytes) {
          written += chunk.length;
          if (!stream.write(chunk)) return void stream.once("drain", pump);
        }
      };
      pump();
      stream.on("close", () => resolve({ status, written }));
    });
    session.destroy();
    expect(result.status).toBe(429);
    expect(result.written).toBeLessThan(declaredBytes / 2);
  });
});
