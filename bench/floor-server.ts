/**
 * The floor of any gateway on this rig: `node:http` reads a Connect JSON Complete request, one undici
 * `Pool` call to the mock, both bodies parsed with JSON.parse, and a JSON answer. No routing, no
 * protobuf, no signals. `bench/steady.ts --floor` measures its CPU per call beside modelgate's, so the
 * gateway's own share is what is left between the two.
 *
 * A Connect StreamComplete call (`application/connect+json`) is relayed the same bare way: the
 * upstream's SSE events split on blank lines, each content delta written at once as one Connect
 * envelope `{"textDelta": ...}`, then the end-stream envelope. `bench/ttft-split.ts --floor` times it
 * beside modelgate: the time to first token any out-of-process gateway adds here.
 *
 *   npx tsx bench/floor-server.ts --mock-port N --port M   (prints `listening <port>`)
 */
import http from "node:http";
import type { AddressInfo } from "node:net";
import { Pool } from "undici";

function argument(name: string): number {
  const index = process.argv.indexOf(`--${name}`);
  return Number(index > 0 ? process.argv[index + 1] : 0);
}

interface ConnectCompleteBody {
  messages?: { parts?: { text?: string }[] }[];
}

const pool = new Pool(`http://127.0.0.1:${argument("mock-port")}`, { connections: 128, pipelining: 1, keepAliveTimeout: 30_000 });

function envelope(flags: number, message: unknown): Buffer {
  const json = Buffer.from(JSON.stringify(message));
  const frame = Buffer.alloc(5 + json.length);
  frame[0] = flags;
  frame.writeUInt32BE(json.length, 1);
  json.copy(frame, 5);
  return frame;
}

async function relayStream(requestBody: Buffer, response: http.ServerResponse): Promise<void> {
  const body = JSON.parse(requestBody.subarray(5).toString("utf8")) as ConnectCompleteBody & { model?: string };
  const upstream = await pool.request({
    path: "/v1/chat/completions",
    method: "POST",
    headers: { "content-type": "application/json", authorization: "Bearer x" },
    body: JSON.stringify({ model: body.model ?? "mock-stream", stream: true, messages: [{ role: "user", content: body.messages?.[0]?.parts?.[0]?.text ?? "" }] }),
  });
  response.writeHead(200, { "content-type": "application/connect+json" });
  let pending = "";
  for await (const data of upstream.body) {
    pending += (data as Buffer).toString("utf8");
    let boundary = pending.indexOf("\n\n");
    while (boundary >= 0) {
      const event = pending.slice(0, boundary);
      pending = pending.slice(boundary + 2);
      boundary = pending.indexOf("\n\n");
      if (!event.startsWith("data: ") || event === "data: [DONE]") continue;
      const content = (JSON.parse(event.slice(6)) as { choices?: { delta?: { content?: string } }[] }).choices?.[0]?.delta?.content;
      if (typeof content === "string" && content !== "") response.write(envelope(0, { textDelta: { text: content } }));
    }
  }
  response.end(envelope(2, {}));
}

const server = http.createServer((request, response) => {
  const chunks: Buffer[] = [];
  if (request.headers["content-type"] === "application/connect+json") {
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => {
      relayStream(Buffer.concat(chunks), response).catch((error: unknown) => {
        if (!response.headersSent) response.writeHead(502);
        response.end(String(error));
      });
    });
    return;
  }
  request.on("data", (chunk: Buffer) => chunks.push(chunk));
  request.on("end", () => {
    void (async () => {
      const body = JSON.parse(Buffer.concat(chunks).toString("utf8")) as ConnectCompleteBody;
      const upstream = await pool.request({
        path: "/v1/chat/completions",
        method: "POST",
        headers: { "content-type": "application/json", authorization: "Bearer x" },
        body: JSON.stringify({ model: "mock-instant", messages: [{ role: "user", content: body.messages?.[0]?.parts?.[0]?.text ?? "" }] }),
      });
      const parsed = JSON.parse(await upstream.body.text()) as { choices?: { message?: { content?: string } }[]; usage?: unknown };
      const answer = JSON.stringify({ text: parsed.choices?.[0]?.message?.content ?? "", usage: parsed.usage });
      response.writeHead(200, { "content-type": "application/json", "content-length": Buffer.byteLength(answer) });
      response.end(answer);
    })().catch((error: unknown) => {
      response.writeHead(502);
      response.end(String(error));
    });
  });
});
server.listen(argument("port"), "127.0.0.1", () => console.log(`listening ${(server.address() as AddressInfo).port}`));
