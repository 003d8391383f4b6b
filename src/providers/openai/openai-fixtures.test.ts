import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import type { ServerResponse } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse as parseYaml } from "yaml";
import { collectStream } from "../http/stream-to-result.js";
import { collectParts, createTestCall, rejectionOf } from "../http/test-support/create-test-call.js";
import { startTestServer, type TestServer } from "../http/test-support/start-test-server.js";
import { ProviderError, type ProviderAdapter } from "../spec.js";
import { createOpenAIAdapter } from "./openai-adapter.js";

/**
 * Replays every recorded OpenAI response in ../shared/fixtures/providers/openai over a real socket
 * and checks what the adapter makes of it. SOURCES.md there says where each file came from.
 */
const fixtureDir = fileURLToPath(new URL("../../../../shared/fixtures/providers/openai/", import.meta.url));

function listFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? listFiles(path) : [relative(fixtureDir, path)];
  });
}

function fixture(name: string): Buffer {
  return readFileSync(join(fixtureDir, name));
}

/** A recorded response: status, headers and the exact body bytes to send. */
interface Recorded {
  status: number;
  headers: Record<string, string>;
  body: Buffer;
}

/** `.chunks.txt` is JSON Lines of `data:` payloads (vercel/ai); frame it as the SSE OpenAI sends. */
function framedChunks(name: string): Buffer {
  const lines = fixture(name).toString("utf8").split("\n").filter((line) => line.trim() !== "");
  return Buffer.from(`${lines.map((line) => `data: ${line}\n\n`).join("")}data: [DONE]\n\n`, "utf8");
}

/** A pydantic-ai cassette: the first interaction's status and `parsed_body` (re-serialised). */
function fromCassette(name: string): Recorded {
  const cassette = parseYaml(fixture(name).toString("utf8")) as {
    interactions: Array<{ response: { status: { code: number }; parsed_body: unknown } }>;
  };
  const response = cassette.interactions[0].response;
  return {
    status: response.status.code,
    headers: { "content-type": "application/json" },
    body: Buffer.from(JSON.stringify(response.parsed_body), "utf8"),
  };
}

/**
 * An httprr trace (SOURCES.md class H): `httprr trace v1\n`, then per exchange `<reqLen> <respLen>\n`
 * and that many bytes of request and response; the response is a status line, CRLF headers, a blank
 * line and the body. Returns the first exchange's response.
 */
function fromHttprr(name: string): Recorded {
  const bytes = fixture(name);
  const header = "httprr trace v1\n";
  expect(bytes.subarray(0, header.length).toString("latin1")).toBe(header);
  let at = header.length;
  const lineEnd = bytes.indexOf(0x0a, at);
  const [requestLength, responseLength] = bytes.subarray(at, lineEnd).toString("latin1").split(" ").map(Number);
  at = lineEnd + 1 + requestLength;
  const response = bytes.subarray(at, at + responseLength);
  const split = response.indexOf("\r\n\r\n");
  const head = response.subarray(0, split).toString("latin1").split("\r\n");
  const status = Number(head[0].split(" ")[1]);
  const headers: Record<string, string> = {};
  for (const line of head.slice(1)) {
    const colon = line.indexOf(":");
    const name = line.slice(0, colon).trim().toLowerCase();
    // Framing is ours to choose on the replay socket.
    if (name === "content-length" || name === "transfer-encoding" || name === "connection") continue;
    headers[name] = line.slice(colon + 1).trim();
  }
  return { status, headers, body: response.subarray(split + 4) };
}

function plain(status: number, body: Buffer, contentType: string): Recorded {
  return { status, headers: { "content-type": contentType }, body };
}

const sse = "text/event-stream; charset=utf-8";
const json = "application/json";

let server: TestServer;
let adapter: ProviderAdapter;
let next: Recorded | undefined;

/** Sends the body in small pieces so event framing is exercised across TCP writes. */
async function replay(response: ServerResponse, recorded: Recorded): Promise<void> {
  response.writeHead(recorded.status, recorded.headers);
  for (let at = 0; at < recorded.body.length; at += 97) {
    response.write(recorded.body.subarray(at, at + 97));
    await new Promise((resolve) => setImmediate(resolve));
  }
  response.end();
}

beforeAll(async () => {
  server = await startTestServer(async (_request, response) => {
    if (next === undefined) throw new Error("No fixture queued.");
    await replay(response, next);
  }, "/v1");
  adapter = createOpenAIAdapter({ name: "openai", kind: "openai", baseUrl: server.baseUrl, apiKey: "sk-test", headers: {}, maxConnections: 2 });
});

afterAll(async () => {
  await adapter.close();
  await server.close();
});

function serveNext(recorded: Recorded): void {
  next = recorded;
}

const covered = new Set<string>();
function fixtureCase(name: string, test: () => Promise<void>): void {
  covered.add(name);
  it(`replays ${name}`, test);
}

describe("OpenAI fixture replay", () => {
  fixtureCase("chat-nonstream-text.json", async () => {
    serveNext(plain(200, fixture("chat-nonstream-text.json"), json));
    const result = await adapter.complete(createTestCall(), new AbortController().signal);
    expect(result.text).toMatch(/^\*\*Holiday Name:\*\* Galaxy Day/);
    expect(result.text).toContain("vast darkness\u2014mirroring");
    expect(result).toMatchObject({
      finishReason: "stop",
      rawFinishReason: "stop",
      vendorModel: "gpt-4.1-nano-2025-04-14",
      responseId: "chatcmpl-D8Z5f52zQqikDBEKQMQoYcWMcWPeU",
      toolCalls: [],
    });
    expect(result.usage).toEqual({ inputTokens: 16, outputTokens: 363, cachedInputTokens: 0, reasoningTokens: 0 });
  });

  fixtureCase("chat-nonstream-tool-call.json", async () => {
    serveNext(plain(200, fixture("chat-nonstream-tool-call.json"), json));
    const result = await adapter.complete(createTestCall(), new AbortController().signal);
    expect(result.text).toBe("");
    expect(result.toolCalls).toEqual([
      { id: "call_olc8qHf1RDItRqwuEBNjsu3B", name: "getCurrentWeather", argumentsJson: '{"location":"Boston"}' },
    ]);
    expect(JSON.parse(result.toolCalls[0].argumentsJson)).toEqual({ location: "Boston" });
    expect(result).toMatchObject({ finishReason: "tool-calls", rawFinishReason: "tool_calls" });
    expect(result.usage).toEqual({ inputTokens: 81, outputTokens: 14, cachedInputTokens: 0, reasoningTokens: 0 });
  });

  fixtureCase("chat-stream-text-include-usage.sse", async () => {
    serveNext(plain(200, fixture("chat-stream-text-include-usage.sse"), sse));
    const parts = await collectParts(adapter.stream(createTestCall(), new AbortController().signal));
    expect(parts[0]).toEqual({ type: "metadata", vendorModel: "gpt-3.5-turbo-0125", responseId: "chatcmpl-C6bjxzOr3Oz1rTiafksd6himIit3q" });
    expect(parts.filter((part) => part.type === "finish")).toHaveLength(1);
    expect(parts.at(-1)).toEqual({
      type: "finish",
      finishReason: "stop",
      rawFinishReason: "stop",
      usage: { inputTokens: 14, outputTokens: 13, cachedInputTokens: 0, reasoningTokens: 0 },
    });
    const result = await collectStream(toAsync(parts));
    expect(result.text).toBe("1, 2, 3, 4, 5");
  });

  fixtureCase("chat-stream-tool-call.sse", async () => {
    serveNext(plain(200, fixture("chat-stream-tool-call.sse"), sse));
    const parts = await collectParts(adapter.stream(createTestCall(), new AbortController().signal));
    const deltas = parts.filter((part) => part.type === "tool-call-delta");
    expect(deltas[0]).toEqual({ type: "tool-call-delta", index: 0, id: "call_T01mmFw4HNv2Rve5UrLlT8Sa", name: "getCurrentWeather", argumentsDelta: "" });
    expect(deltas.slice(1).every((part) => part.id === undefined && part.name === undefined)).toBe(true);
    const result = await collectStream(toAsync(parts));
    expect(result.toolCalls).toEqual([
      { id: "call_T01mmFw4HNv2Rve5UrLlT8Sa", name: "getCurrentWeather", argumentsJson: '{"location":"Boston, MA"}' },
    ]);
    expect(result).toMatchObject({ text: "", finishReason: "tool-calls", rawFinishReason: "tool_calls" });
    expect(result.usage).toEqual({ inputTokens: 82, outputTokens: 17, cachedInputTokens: 0, reasoningTokens: 0 });
  });

  fixtureCase("chat-stream-parallel-tool-calls.sse", async () => {
    serveNext(plain(200, fixture("chat-stream-parallel-tool-calls.sse"), sse));
    const result = await collectStream(adapter.stream(createTestCall(), new AbortController().signal));
    expect(result.toolCalls.map((call) => ({ ...call, arguments: JSON.parse(call.argumentsJson) as unknown }))).toEqual([
      { id: "call_oStfjbrEyya6I2px3EzDuGVB", name: "getCurrentWeather", argumentsJson: '{"location": "Boston, MA"}', arguments: { location: "Boston, MA" } },
      { id: "call_YZ4lwwqnfF0SkJgYRUhpJnn4", name: "getCurrentTime", argumentsJson: '{"location": "Boston, MA"}', arguments: { location: "Boston, MA" } },
    ]);
    expect(result).toMatchObject({ finishReason: "tool-calls", vendorModel: "gpt-4.1-2025-04-14" });
    expect(result.usage).toEqual({ inputTokens: 121, outputTokens: 50, cachedInputTokens: 0, reasoningTokens: 0 });
  });

  fixtureCase("chat-stream-azure-content-filter.chunks.txt", async () => {
    serveNext(plain(200, framedChunks("chat-stream-azure-content-filter.chunks.txt"), sse));
    const parts = await collectParts(adapter.stream(createTestCall(), new AbortController().signal));
    // The leading Azure chunk (choices: [], empty id and model) yields nothing; metadata comes from the next.
    expect(parts[0]).toEqual({ type: "metadata", vendorModel: "gpt-5-nano-2025-08-07", responseId: "chatcmpl-CYPS1lijGoK8gd9lYzY3r9Sx50nbt" });
    const result = await collectStream(toAsync(parts));
    expect(result.text).toBe("Capital of Denmark.");
    expect(result).toMatchObject({ finishReason: "stop", rawFinishReason: "stop" });
    expect(result.usage).toEqual({ inputTokens: 15, outputTokens: 78, cachedInputTokens: 0, reasoningTokens: 64 });
  });

  fixtureCase("error-400-unsupported-parameter.json", async () => {
    serveNext(plain(400, fixture("error-400-unsupported-parameter.json"), json));
    const error = (await rejectionOf(adapter.complete(createTestCall(), new AbortController().signal))) as ProviderError;
    expect(error).toBeInstanceOf(ProviderError);
    expect(error).toMatchObject({ kind: "invalid-request", status: 400, vendorCode: "unsupported_parameter", retryAfterMs: undefined });
    expect(error.message).not.toContain("max_completion_tokens");
  });

  fixtureCase("error-404-model-not-found.cassette.yaml", async () => {
    serveNext(fromCassette("error-404-model-not-found.cassette.yaml"));
    const error = (await rejectionOf(collectParts(adapter.stream(createTestCall(), new AbortController().signal)))) as ProviderError;
    expect(error).toMatchObject({ kind: "invalid-request", status: 404, vendorCode: "model_not_found", afterContent: false });
    expect(error.message).not.toContain("gpt-5.2-proo");
  });

  fixtureCase("raw/langchaingo-TestClient_CreateChatCompletionStream.httprr", async () => {
    const recorded = fromHttprr("raw/langchaingo-TestClient_CreateChatCompletionStream.httprr");
    expect(recorded.headers["x-ratelimit-reset-requests"]).toBe("6ms");
    expect(recorded.body.equals(fixture("chat-stream-text-include-usage.sse"))).toBe(true);
    serveNext(recorded);
    const result = await collectStream(adapter.stream(createTestCall(), new AbortController().signal));
    expect(result).toMatchObject({ text: "1, 2, 3, 4, 5", finishReason: "stop", usage: { inputTokens: 14, outputTokens: 13 } });
  });

  fixtureCase("transcribed/error-400-context-length-exceeded.json", async () => {
    serveNext(plain(400, fixture("transcribed/error-400-context-length-exceeded.json"), json));
    const error = (await rejectionOf(adapter.complete(createTestCall(), new AbortController().signal))) as ProviderError;
    expect(error).toMatchObject({ kind: "context-length-exceeded", status: 400, vendorCode: "context_length_exceeded" });
    expect(error.isRetryable).toBe(false);
  });

  fixtureCase("transcribed/error-429-rate-limit-request-too-large.json", async () => {
    serveNext({
      status: 429,
      headers: { "content-type": json, "x-ratelimit-reset-tokens": "1m30s" },
      body: fixture("transcribed/error-429-rate-limit-request-too-large.json"),
    });
    const error = (await rejectionOf(adapter.complete(createTestCall(), new AbortController().signal))) as ProviderError;
    expect(error).toMatchObject({ kind: "invalid-request", status: 429, vendorCode: "rate_limit_exceeded", retryAfterMs: undefined });
    expect(error.message).not.toContain("org-");
  });

  it("covers every fixture file in the folder", () => {
    expect(listFiles(fixtureDir).sort()).toEqual([...covered].sort());
  });
});

async function* toAsync<T>(items: T[]): AsyncGenerator<T> {
  yield* items;
}
