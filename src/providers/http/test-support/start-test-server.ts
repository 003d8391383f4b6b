import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

/** A request the test server received, with a promise that settles when its connection closes. */
export interface RecordedRequest {
  method: string;
  url: string;
  headers: IncomingMessage["headers"];
  body: string;
  /** Resolves when the client closes the request before the response was complete. */
  aborted: Promise<void>;
  wasAborted(): boolean;
}

export interface TestServer {
  /** `http://127.0.0.1:<port>` plus `basePath`. */
  baseUrl: string;
  requests: RecordedRequest[];
  close(): Promise<void>;
}

export type TestHandler = (request: RecordedRequest, response: ServerResponse) => void | Promise<void>;

/**
 * Starts a throwaway HTTP server on 127.0.0.1, port 0, for adapter tests: it buffers each request
 * body, records it, then calls `handler`. Tests use it to serve recorded vendor bytes over a real
 * socket and to observe whether an abort reached the upstream.
 */
export async function startTestServer(handler: TestHandler, basePath = ""): Promise<TestServer> {
  const requests: RecordedRequest[] = [];
  const server = createServer((incoming, response) => {
    const chunks: Buffer[] = [];
    let abortedFlag = false;
    let markAborted: () => void = () => undefined;
    const aborted = new Promise<void>((resolve) => {
      markAborted = resolve;
    });
    response.on("close", () => {
      if (!response.writableFinished) {
        abortedFlag = true;
        markAborted();
      }
    });
    incoming.on("data", (chunk: Buffer) => chunks.push(chunk));
    incoming.on("end", () => {
      const recorded: RecordedRequest = {
        method: incoming.method ?? "",
        url: incoming.url ?? "",
        headers: incoming.headers,
        body: Buffer.concat(chunks).toString("utf8"),
        aborted,
        wasAborted: () => abortedFlag,
      };
      requests.push(recorded);
      Promise.resolve(handler(recorded, response)).catch(() => response.destroy());
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    baseUrl: `http://127.0.0.1:${port}${basePath}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
