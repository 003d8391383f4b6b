/**
 * Test support for the Anthropic, Gemini and Ollama adapter tests: a tiny `node:http` server on
 * 127.0.0.1:0 that replays recorded vendor responses, plus readers for the recording formats in
 * `shared/fixtures/providers/` (httprr traces, VCR cassettes, JSON-lines chunk files). It lives here
 * only because this engineer's files are limited to the adapter folders; it belongs in
 * `test/support/`. Nothing in production code imports it.
 */
import { readFileSync } from "node:fs";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { fileURLToPath } from "node:url";
import { parse as parseYaml } from "yaml";

/** Where the shared recordings live. */
export const fixturesDirectory = fileURLToPath(new URL("../../../../../shared/fixtures/providers/", import.meta.url));

/** Reads a fixture file as bytes. */
export function readFixture(relativePath: string): Buffer {
  return readFileSync(`${fixturesDirectory}${relativePath}`);
}

/** One response to replay: status, headers and the body as a list of chunks written one by one. */
export interface ReplayResponse {
  status: number;
  headers?: Record<string, string>;
  chunks: (string | Uint8Array)[];
  /** Keep the connection open after the chunks (for abort and idle tests). */
  hang?: boolean;
}

/** What the server saw of one request. */
export interface RecordedRequest {
  method: string;
  url: string;
  headers: IncomingMessage["headers"];
  body: string;
  /** Resolves with `performance.now()` when the client closed or finished the connection. */
  closed: Promise<number>;
}

export interface ReplayServer {
  baseUrl: string;
  requests: RecordedRequest[];
  close(): Promise<void>;
}

/** Starts a server that answers every request with `respond(request)`. */
export async function startReplayServer(
  respond: ReplayResponse | ((request: RecordedRequest) => ReplayResponse),
): Promise<ReplayServer> {
  const requests: RecordedRequest[] = [];
  const open = new Set<ServerResponse>();
  const server = createServer((incoming, outgoing) => {
    open.add(outgoing);
    const closed = new Promise<number>((resolve) => {
      outgoing.on("close", () => {
        open.delete(outgoing);
        resolve(performance.now());
      });
    });
    const parts: Buffer[] = [];
    incoming.on("data", (chunk: Buffer) => parts.push(chunk));
    incoming.on("end", () => {
      const request: RecordedRequest = {
        method: incoming.method ?? "",
        url: incoming.url ?? "",
        headers: incoming.headers,
        body: Buffer.concat(parts).toString("utf8"),
        closed,
      };
      requests.push(request);
      const response = typeof respond === "function" ? respond(request) : respond;
      outgoing.writeHead(response.status, response.headers ?? {});
      outgoing.flushHeaders();
      void writeChunks(outgoing, response);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    baseUrl: `http://127.0.0.1:${port}`,
    requests,
    async close() {
      for (const response of open) response.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

async function writeChunks(outgoing: ServerResponse, response: ReplayResponse): Promise<void> {
  for (const chunk of response.chunks) {
    if (outgoing.destroyed) return;
    outgoing.write(chunk);
    // Let each chunk leave as its own network write, as a real streaming server's would.
    await new Promise((resolve) => setImmediate(resolve));
  }
  if (!response.hang) outgoing.end();
}

/** The lines of a JSON-lines `.chunks.txt` fixture (vercel's SSE payloads with the framing stripped). */
export function readChunkLines(relativePath: string): string[] {
  return readFixture(relativePath)
    .toString("utf8")
    .split("\n")
    .filter((line) => line.trim() !== "");
}

/** One HTTP exchange of an httprr trace. */
export interface HttprrExchange {
  requestHead: string;
  requestBody: string;
  status: number;
  headers: Record<string, string>;
  body: Buffer;
}

/**
 * Parses an httprr trace (`httprr trace v1\n`, then per exchange `<reqLen> <respLen>\n` and exactly
 * that many bytes of request and of response). A chunked response body is de-chunked, since the
 * replay server frames its own body.
 */
export function parseHttprr(trace: Buffer): HttprrExchange[] {
  const exchanges: HttprrExchange[] = [];
  let offset = trace.indexOf("\n") + 1;
  while (offset < trace.length) {
    const lineEnd = trace.indexOf("\n", offset);
    const [requestLength, responseLength] = trace.subarray(offset, lineEnd).toString("latin1").split(" ").map(Number);
    offset = lineEnd + 1;
    const request = trace.subarray(offset, offset + requestLength);
    const response = trace.subarray(offset + requestLength, offset + requestLength + responseLength);
    offset += requestLength + responseLength;

    const requestSplit = request.indexOf("\r\n\r\n");
    const split = response.indexOf("\r\n\r\n");
    const headLines = response.subarray(0, split).toString("latin1").split(/\r?\n/);
    const status = Number(headLines[0].split(" ")[1]);
    const headers: Record<string, string> = {};
    for (const line of headLines.slice(1)) {
      const colon = line.indexOf(":");
      const name = line.slice(0, colon).trim().toLowerCase();
      const value = line.slice(colon + 1).trim();
      headers[name] = headers[name] === undefined ? value : `${headers[name]}, ${value}`;
    }
    let body = response.subarray(split + 4);
    if (headers["transfer-encoding"]?.toLowerCase() === "chunked") {
      body = dechunk(body);
      delete headers["transfer-encoding"];
    }
    exchanges.push({
      requestHead: request.subarray(0, requestSplit).toString("latin1"),
      requestBody: request.subarray(requestSplit + 4).toString("utf8"),
      status,
      headers,
      body,
    });
  }
  return exchanges;
}

function dechunk(body: Buffer): Buffer {
  const parts: Buffer[] = [];
  let offset = 0;
  while (offset < body.length) {
    const lineEnd = body.indexOf("\r\n", offset);
    const size = Number.parseInt(body.subarray(offset, lineEnd).toString("latin1"), 16);
    if (size === 0) break;
    parts.push(body.subarray(lineEnd + 2, lineEnd + 2 + size));
    offset = lineEnd + 2 + size + 2;
  }
  return Buffer.concat(parts);
}

/** The recorded response of a pydantic-ai VCR cassette (first interaction). */
export function readCassetteResponse(relativePath: string): { status: number; contentType: string; body: string } {
  const cassette = parseYaml(readFixture(relativePath).toString("utf8")) as {
    interactions: {
      response: {
        status: { code: number };
        headers?: Record<string, string[]>;
        parsed_body?: unknown;
        body?: { string?: string };
      };
    }[];
  };
  const response = cassette.interactions[0].response;
  const body = response.body?.string ?? JSON.stringify(response.parsed_body);
  return { status: response.status.code, contentType: response.headers?.["content-type"]?.[0] ?? "application/json", body };
}

/** Standard time limits for adapter tests: generous, since no test asserts speed. */
export const testTimeouts = { connectMs: 5_000, firstTokenMs: 10_000, idleMs: 10_000, totalMs: 20_000 };

/** Collects every part of an async iterable, or the error it threw. */
export async function collectParts<T>(parts: AsyncIterable<T>): Promise<{ parts: T[]; error?: unknown }> {
  const collected: T[] = [];
  try {
    for await (const part of parts) collected.push(part);
    return { parts: collected };
  } catch (error) {
    return { parts: collected, error };
  }
}
