/**
 * The floor of any gateway on this rig: `node:http` reads a Connect JSON Complete request, one undici
 * `Pool` call to the mock, both bodies parsed with JSON.parse, and a JSON answer. No routing, no
 * protobuf, no signals. `bench/steady.ts --floor` measures its CPU per call beside modelgate's, so the
 * gateway's own share is what is left between the two.
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

const server = http.createServer((request, response) => {
  const chunks: Buffer[] = [];
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
