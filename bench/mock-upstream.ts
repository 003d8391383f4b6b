/**
 * A tiny OpenAI chat-completions server for benchmarks. It answers as fast as `node:http` can, so what a
 * benchmark measures is the gateway in front of it, not the upstream.
 *
 * The behaviour is chosen per request, by the `x-mock-mode` header or else by the model name (gateways
 * forward the model name; not all of them forward custom headers):
 * - `mock-instant`            instant JSON answer
 * - `mock-delay-<ms>`         JSON answer after a fixed delay (the 60 ms "realistic" upstream)
 * - `mock-stream-<n>-<gapMs>` with `stream: true`: n content deltas, one every gapMs (the first after
 *                             gapMs; gapMs 0 sends them all at once), then a usage chunk and `[DONE]`
 * - `mock-stream-<n>-<gapMs>-instant-first`: like above, but the first delta is sent at once
 * A streaming mode asked without `stream: true` answers with JSON after the same total time.
 *
 * Run on its own: `npx tsx bench/mock-upstream.ts --port 18181` (prints `listening <port>`).
 */
import http from "node:http";
import type { AddressInfo } from "node:net";
import { pathToFileURL } from "node:url";

/** What one request asks the mock to do. */
export type MockMode =
  | { kind: "instant" }
  | { kind: "delay"; delayMs: number }
  | { kind: "stream"; deltas: number; gapMs: number; instantFirst: boolean };

/** Parses a mode name such as `mock-stream-32-20`; unknown names answer instantly. */
export function parseMockMode(name: string): MockMode {
  const delay = /^mock-delay-(\d+)$/.exec(name);
  if (delay) return { kind: "delay", delayMs: Number(delay[1]) };
  const stream = /^mock-stream-(\d+)-(\d+)(-instant-first)?$/.exec(name);
  if (stream) return { kind: "stream", deltas: Number(stream[1]), gapMs: Number(stream[2]), instantFirst: stream[3] !== undefined };
  return { kind: "instant" };
}

const USAGE = { prompt_tokens: 12, completion_tokens: 8, total_tokens: 20 };

function completionBody(model: string): string {
  return JSON.stringify({
    id: "chatcmpl-bench",
    object: "chat.completion",
    created: 1_700_000_000,
    model,
    choices: [{ index: 0, message: { role: "assistant", content: "Hello from the mock." }, finish_reason: "stop" }],
    usage: USAGE,
  });
}

function chunk(model: string, delta: Record<string, unknown>, finishReason: string | null): string {
  return `data: ${JSON.stringify({
    id: "chatcmpl-bench",
    object: "chat.completion.chunk",
    created: 1_700_000_000,
    model,
    choices: [{ index: 0, delta, finish_reason: finishReason }],
  })}\n\n`;
}

function sendJson(response: http.ServerResponse, model: string): void {
  const body = completionBody(model);
  response.writeHead(200, { "content-type": "application/json", "content-length": Buffer.byteLength(body) });
  response.end(body);
}

function sendStream(response: http.ServerResponse, model: string, mode: Extract<MockMode, { kind: "stream" }>): void {
  response.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache" });
  response.write(chunk(model, { role: "assistant", content: "" }, null));
  let sent = 0;
  let timer: NodeJS.Timeout | undefined;
  const finish = (): void => {
    response.write(chunk(model, {}, "stop"));
    response.write(`data: ${JSON.stringify({ id: "chatcmpl-bench", object: "chat.completion.chunk", created: 1_700_000_000, model, choices: [], usage: USAGE })}\n\n`);
    response.end("data: [DONE]\n\n");
  };
  const next = (): void => {
    if (response.destroyed) return;
    response.write(chunk(model, { content: `t${sent} ` }, null));
    sent += 1;
    if (sent >= mode.deltas) {
      finish();
      return;
    }
    timer = setTimeout(next, mode.gapMs);
  };
  response.on("close", () => clearTimeout(timer));
  if (mode.deltas === 0) finish();
  else if (mode.gapMs === 0) {
    while (sent < mode.deltas) response.write(chunk(model, { content: `t${sent++} ` }, null));
    finish();
  } else if (mode.instantFirst) next();
  else timer = setTimeout(next, mode.gapMs);
}

function handle(request: http.IncomingMessage, response: http.ServerResponse, body: string): void {
  if (!request.url?.endsWith("/chat/completions")) {
    if (request.url?.endsWith("/models")) {
      response.writeHead(200, { "content-type": "application/json" });
      response.end(JSON.stringify({ object: "list", data: [{ id: "mock-instant", object: "model" }] }));
      return;
    }
    response.writeHead(404, { "content-type": "application/json" });
    response.end(JSON.stringify({ error: { message: "not found", type: "invalid_request_error" } }));
    return;
  }
  let parsed: { model?: unknown; stream?: unknown };
  try {
    parsed = JSON.parse(body) as typeof parsed;
  } catch {
    response.writeHead(400, { "content-type": "application/json" });
    response.end(JSON.stringify({ error: { message: "bad json", type: "invalid_request_error" } }));
    return;
  }
  const model = typeof parsed.model === "string" ? parsed.model : "mock-instant";
  const header = request.headers["x-mock-mode"];
  const mode = parseMockMode(typeof header === "string" ? header : model);
  if (mode.kind === "instant") sendJson(response, model);
  else if (mode.kind === "delay") setTimeout(() => sendJson(response, model), mode.delayMs);
  else if (parsed.stream === true) sendStream(response, model, mode);
  else setTimeout(() => sendJson(response, model), mode.gapMs * mode.deltas);
}

/** Starts the mock on 127.0.0.1 (port 0 picks a free port) and resolves once it listens. */
export async function startMockUpstream(port = 0): Promise<{ port: number; server: http.Server }> {
  const server = http.createServer({ keepAliveTimeout: 60_000 }, (request, response) => {
    const chunks: Buffer[] = [];
    request.on("data", (data: Buffer) => chunks.push(data));
    request.on("end", () => handle(request, response, Buffer.concat(chunks).toString("utf8")));
  });
  server.maxHeadersCount = 0;
  server.headersTimeout = 0;
  server.requestTimeout = 0;
  // A deep accept queue (Node's default is 511): bench/many-streams.ts opens up to 2,000 connections a second.
  await new Promise<void>((resolve) => server.listen({ port, host: "127.0.0.1", backlog: 4_096 }, resolve));
  return { port: (server.address() as AddressInfo).port, server };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const index = process.argv.indexOf("--port");
  const { port, server } = await startMockUpstream(index > 0 ? Number(process.argv[index + 1]) : 0);
  console.log(`listening ${port}`);
  const stop = (): void => void server.close(() => process.exit(0));
  process.on("SIGTERM", stop);
  process.on("SIGINT", stop);
}
