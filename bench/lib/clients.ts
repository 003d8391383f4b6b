/**
 * Load-generator clients, one per wire protocol, all behind one interface so every scenario can drive
 * every target the same way. They are deliberately thin (no SDKs) so the load generator costs little
 * CPU: undici for OpenAI JSON/SSE and Connect over HTTP/1.1, `node:http2` for Connect over h2c, and
 * `@grpc/grpc-js` with protobuf-es serialisation for gRPC.
 */
import { randomUUID } from "node:crypto";
import http2 from "node:http2";
import { performance } from "node:perf_hooks";
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import * as grpc from "@grpc/grpc-js";
import { Pool } from "undici";
import { CompleteRequestSchema, CompleteResponseSchema } from "../../gen/modelgate/v1/completion_pb.js";
import { Role } from "../../gen/modelgate/v1/content_pb.js";
import { StreamCompleteRequestSchema, StreamCompleteResponseSchema } from "../../gen/modelgate/v1/stream_pb.js";

/** Timings of one stream, in ms from the moment the request was sent. */
export interface StreamResult {
  /** Time to the first content delta; undefined when none arrived. */
  firstContentMs: number | undefined;
  /** Arrival time of every content delta. */
  deltaTimesMs: number[];
  totalMs: number;
}

/** One target as the scenarios see it. `model` selects the mock behaviour (see mock-upstream.ts). */
export interface BenchClient {
  unary(model: string): Promise<void>;
  stream(model: string): Promise<StreamResult>;
  close(): Promise<void>;
}

export const PROMPT = "Say hello.";

/** OpenAI chat completions over HTTP/1.1 (direct to the mock, Portkey, LiteLLM). */
export function createOpenAIClient(origin: string, options: { path?: string; headers?: Record<string, string>; connections?: number } = {}): BenchClient {
  const pool = new Pool(origin, { connections: options.connections ?? 128, pipelining: 1, keepAliveTimeout: 60_000 });
  const path = options.path ?? "/v1/chat/completions";
  const headers = { "content-type": "application/json", ...options.headers };
  const body = (model: string, stream: boolean): string =>
    JSON.stringify({ model, messages: [{ role: "user", content: PROMPT }], ...(stream ? { stream: true, stream_options: { include_usage: true } } : {}) });
  return {
    async unary(model) {
      const response = await pool.request({ origin, path, method: "POST", headers, body: body(model, false) });
      const text = await response.body.text();
      if (response.statusCode !== 200) throw new Error(`HTTP ${response.statusCode}: ${text.slice(0, 200)}`);
    },
    async stream(model) {
      const started = performance.now();
      const response = await pool.request({ origin, path, method: "POST", headers, body: body(model, true) });
      if (response.statusCode !== 200) throw new Error(`HTTP ${response.statusCode}: ${(await response.body.text()).slice(0, 200)}`);
      const deltaTimesMs: number[] = [];
      let buffer = "";
      let done = false;
      for await (const data of response.body) {
        buffer += (data as Buffer).toString("utf8");
        let end: number;
        while ((end = buffer.indexOf("\n\n")) >= 0) {
          const event = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          for (const line of event.split("\n")) {
            if (!line.startsWith("data:")) continue;
            const payload = line.slice(5).trim();
            if (payload === "[DONE]") {
              done = true;
              continue;
            }
            const parsed = JSON.parse(payload) as { choices?: { delta?: { content?: string } }[] };
            const content = parsed.choices?.[0]?.delta?.content;
            if (typeof content === "string" && content.length > 0) deltaTimesMs.push(performance.now() - started);
          }
        }
      }
      if (!done) throw new Error("stream ended without [DONE]");
      return { firstContentMs: deltaTimesMs[0], deltaTimesMs, totalMs: performance.now() - started };
    },
    close: () => pool.destroy(),
  };
}

function connectBody(model: string): Record<string, unknown> {
  return { model, messages: [{ role: "ROLE_USER", parts: [{ text: PROMPT }] }] };
}

function envelope(json: unknown): Buffer {
  const payload = Buffer.from(JSON.stringify(json));
  const frame = Buffer.alloc(5 + payload.length);
  frame.writeUInt32BE(payload.length, 1);
  payload.copy(frame, 5);
  return frame;
}

/** Reads Connect envelopes from a byte stream; counts text deltas and checks the end-stream frame. */
async function readConnectStream(chunks: AsyncIterable<Buffer | Uint8Array>, started: number): Promise<StreamResult> {
  const deltaTimesMs: number[] = [];
  let buffer = Buffer.alloc(0);
  let ended = false;
  for await (const data of chunks) {
    buffer = buffer.length === 0 ? Buffer.from(data) : Buffer.concat([buffer, data]);
    while (buffer.length >= 5) {
      const length = buffer.readUInt32BE(1);
      if (buffer.length < 5 + length) break;
      const flags = buffer[0] ?? 0;
      const message = JSON.parse(buffer.subarray(5, 5 + length).toString("utf8")) as Record<string, unknown>;
      buffer = buffer.subarray(5 + length);
      if ((flags & 0x02) !== 0) {
        if (message.error) throw new Error(`connect end-stream error: ${JSON.stringify(message.error).slice(0, 200)}`);
        ended = true;
      } else if (message.textDelta !== undefined) deltaTimesMs.push(performance.now() - started);
    }
  }
  if (!ended) throw new Error("connect stream ended without end-stream frame");
  return { firstContentMs: deltaTimesMs[0], deltaTimesMs, totalMs: performance.now() - started };
}

const COMPLETE_PATH = "/modelgate.v1.GatewayService/Complete";
const STREAM_PATH = "/modelgate.v1.GatewayService/StreamComplete";

/** Connect protocol with JSON over HTTP/1.1 (undici). */
export function createConnectHttp1Client(
  origin: string,
  options: { connections?: number; headers?: Record<string, string>; requestIds?: boolean } = {},
): BenchClient {
  const pool = new Pool(origin, { connections: options.connections ?? 128, pipelining: 1, keepAliveTimeout: 60_000 });
  const fixedHeaders = options.headers ?? {};
  // With `requestIds`, every call names a fresh id, as an idempotent caller does (each one claimed once).
  const headersOfCall = (): Record<string, string> => (options.requestIds === true ? { ...fixedHeaders, "x-request-id": randomUUID() } : fixedHeaders);
  return {
    async unary(model) {
      const response = await pool.request({
        origin,
        path: COMPLETE_PATH,
        method: "POST",
        headers: { "content-type": "application/json", "connect-protocol-version": "1", ...headersOfCall() },
        body: JSON.stringify(connectBody(model)),
      });
      const text = await response.body.text();
      if (response.statusCode !== 200) throw new Error(`HTTP ${response.statusCode}: ${text.slice(0, 200)}`);
    },
    async stream(model) {
      const started = performance.now();
      const response = await pool.request({
        origin,
        path: STREAM_PATH,
        method: "POST",
        headers: { "content-type": "application/connect+json", "connect-protocol-version": "1", ...headersOfCall() },
        body: envelope(connectBody(model)),
      });
      if (response.statusCode !== 200) throw new Error(`HTTP ${response.statusCode}: ${(await response.body.text()).slice(0, 200)}`);
      return readConnectStream(response.body, started);
    },
    close: () => pool.destroy(),
  };
}

/** Connect protocol with JSON over h2c (prior knowledge), spread over a few sessions. */
export function createConnectH2cClient(origin: string, options: { sessions?: number } = {}): BenchClient {
  const sessions: http2.ClientHttp2Session[] = [];
  let next = 0;
  const session = (): http2.ClientHttp2Session => {
    const count = options.sessions ?? 4;
    const index = next++ % count;
    let current = sessions[index];
    if (current === undefined || current.closed || current.destroyed) {
      current = http2.connect(origin, { settings: { enablePush: false, initialWindowSize: 1 << 20 } });
      current.on("error", () => undefined);
      current.unref();
      sessions[index] = current;
    }
    return current;
  };
  const send = (path: string, contentType: string, body: Buffer | string): http2.ClientHttp2Stream => {
    const request = session().request({ ":method": "POST", ":path": path, "content-type": contentType, "connect-protocol-version": "1" });
    request.end(body);
    return request;
  };
  const status = (request: http2.ClientHttp2Stream): Promise<number> =>
    new Promise((resolve, reject) => {
      request.once("response", (headers) => resolve(Number(headers[":status"])));
      request.once("error", reject);
    });
  return {
    async unary(model) {
      const request = send(COMPLETE_PATH, "application/json", JSON.stringify(connectBody(model)));
      const code = await status(request);
      const chunks: Buffer[] = [];
      for await (const data of request) chunks.push(data as Buffer);
      if (code !== 200) throw new Error(`HTTP ${code}: ${Buffer.concat(chunks).toString("utf8").slice(0, 200)}`);
    },
    async stream(model) {
      const started = performance.now();
      const request = send(STREAM_PATH, "application/connect+json", envelope(connectBody(model)));
      const code = await status(request);
      if (code !== 200) throw new Error(`HTTP ${code}`);
      return readConnectStream(request as AsyncIterable<Buffer>, started);
    },
    async close() {
      for (const current of sessions) current?.destroy();
    },
  };
}

/** gRPC over h2c with @grpc/grpc-js and binary protobuf. */
export function createGrpcClient(address: string): BenchClient {
  const client = new grpc.Client(address, grpc.credentials.createInsecure(), { "grpc.max_receive_message_length": 16 << 20 });
  const completeRequest = (model: string): Buffer =>
    Buffer.from(toBinary(CompleteRequestSchema, create(CompleteRequestSchema, { model, messages: [{ role: Role.USER, parts: [{ part: { case: "text", value: PROMPT } }] }] })));
  const streamRequest = (model: string): Buffer =>
    Buffer.from(toBinary(StreamCompleteRequestSchema, create(StreamCompleteRequestSchema, { model, messages: [{ role: Role.USER, parts: [{ part: { case: "text", value: PROMPT } }] }] })));
  const identity = (value: Buffer): Buffer => value;
  return {
    unary(model) {
      return new Promise((resolve, reject) => {
        client.makeUnaryRequest(COMPLETE_PATH, identity, (bytes: Buffer) => fromBinary(CompleteResponseSchema, bytes), completeRequest(model), (error) =>
          error ? reject(error) : resolve(),
        );
      });
    },
    stream(model) {
      const started = performance.now();
      const deltaTimesMs: number[] = [];
      return new Promise((resolve, reject) => {
        const call = client.makeServerStreamRequest(STREAM_PATH, identity, (bytes: Buffer) => fromBinary(StreamCompleteResponseSchema, bytes), streamRequest(model));
        call.on("data", (message: { event: { case: string | undefined } }) => {
          if (message.event.case === "textDelta") deltaTimesMs.push(performance.now() - started);
        });
        call.on("error", reject);
        call.on("status", (status: grpc.StatusObject) => {
          if (status.code === grpc.status.OK) resolve({ firstContentMs: deltaTimesMs[0], deltaTimesMs, totalMs: performance.now() - started });
          else reject(new Error(`gRPC ${status.code}: ${status.details}`));
        });
      });
    },
    async close() {
      client.close();
    },
  };
}
