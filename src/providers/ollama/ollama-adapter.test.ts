import { afterEach, describe, expect, it } from "vitest";
import { collectStream } from "../http/stream-to-result.js";
import { ProviderError, type ModelCall, type ProviderAdapter, type StreamPart } from "../spec.js";
import {
  collectParts,
  parseHttprr,
  readFixture,
  startReplayServer,
  testTimeouts,
  type ReplayResponse,
  type ReplayServer,
} from "../http/test-support/replay-server.js";
import { createOllamaAdapter } from "./ollama-adapter.js";

const call: ModelCall = {
  vendorModel: "gemma3:1b",
  messages: [{ role: "user", parts: [{ type: "text", text: "Count from 1 to 5" }] }],
  sampling: { stopSequences: [] },
  tools: [],
  timeouts: testTimeouts,
};

let server: ReplayServer | undefined;
let adapter: ProviderAdapter | undefined;

afterEach(async () => {
  await adapter?.close();
  await server?.close();
  adapter = undefined;
  server = undefined;
});

async function serve(response: ReplayResponse, apiKey?: string): Promise<ProviderAdapter> {
  server = await startReplayServer(response);
  adapter = createOllamaAdapter({
    name: "ollama-test",
    kind: "ollama",
    baseUrl: server.baseUrl,
    ...(apiKey !== undefined ? { apiKey } : {}),
    headers: {},
    maxConnections: 4,
  });
  return adapter;
}

function pieces(bytes: Buffer, size = 53): Buffer[] {
  const result: Buffer[] = [];
  for (let offset = 0; offset < bytes.length; offset += size) result.push(bytes.subarray(offset, offset + size));
  return result;
}

function ndjson(relativePath: string): ReplayResponse {
  return { status: 200, headers: { "content-type": "application/x-ndjson" }, chunks: pieces(readFixture(relativePath)) };
}

function json(status: number, relativePath: string): ReplayResponse {
  return { status, headers: { "content-type": "application/json; charset=utf-8" }, chunks: [readFixture(relativePath)] };
}

function lines(...objects: unknown[]): ReplayResponse {
  return { status: 200, headers: { "content-type": "application/x-ndjson" }, chunks: objects.map((object) => `${JSON.stringify(object)}\n`) };
}

async function failure(promise: Promise<unknown> | AsyncIterable<StreamPart>): Promise<ProviderError> {
  const error =
    promise instanceof Promise
      ? await promise.then(
          () => undefined,
          (reason: unknown) => reason,
        )
      : (await collectParts(promise)).error;
  expect(error).toBeInstanceOf(ProviderError);
  return error as ProviderError;
}

const line = (content: string) => ({ model: "gemma3:1b", message: { role: "assistant", content }, done: false });

describe("createOllamaAdapter replaying recorded responses", () => {
  it("streams chat-stream.ndjson with usage from the done line", async () => {
    const adapter = await serve(ndjson("ollama/chat-stream.ndjson"));
    const result = await collectStream(adapter.stream(call, new AbortController().signal));
    expect(result.text).toBe("Okay, here we go!\n\n1, 2, 3, 4, 5\n");
    expect(result.finishReason).toBe("stop");
    expect(result.rawFinishReason).toBe("stop");
    expect(result.usage).toEqual({ inputTokens: 16, outputTokens: 22 });
    expect(result.vendorModel).toBe("gemma3:1b");
  });

  it("posts to /api/chat with stream true and no authorization when no key is set", async () => {
    const adapter = await serve(ndjson("ollama/chat-stream.ndjson"));
    await collectStream(adapter.stream(call, new AbortController().signal));
    const request = server?.requests[0];
    expect(request?.url).toBe("/api/chat");
    expect(request?.headers.authorization).toBeUndefined();
    expect(JSON.parse(request?.body ?? "{}")).toMatchObject({ model: "gemma3:1b", stream: true });
  });

  it("streams chat-stream-default-done-reason-length.ndjson as length, keeping multi-byte characters whole", async () => {
    const adapter = await serve(ndjson("ollama/chat-stream-default-done-reason-length.ndjson"));
    const result = await collectStream(adapter.stream(call, new AbortController().signal));
    expect(result.text).toBe(
      "Hello there! I’m doing well, thanks for asking. As an AI, I don’t really *feel* in the same way humans do, but I’m functioning perfectly and ready to help you with whatever you need. 😊 ",
    );
    expect(result.finishReason).toBe("length");
    expect(result.rawFinishReason).toBe("length");
    expect(result.usage).toEqual({ inputTokens: 15, outputTokens: 50 });
  });

  it("replays the chunked exchange of the httprr trace", async () => {
    const [exchange] = parseHttprr(readFixture("ollama/raw/langchaingo-TestClient_GenerateChatStream.httprr"));
    const adapter = await serve({ status: exchange.status, headers: exchange.headers, chunks: pieces(exchange.body) });
    const result = await collectStream(adapter.stream(call, new AbortController().signal));
    expect(result.text).toBe("Okay, here we go!\n\n1, 2, 3, 4, 5\n");
    expect(result.usage).toEqual({ inputTokens: 16, outputTokens: 22 });
  });

  it("completes chat-nonstream-text-with-thinking.json with text and reasoning, sending stream false and the bearer key", async () => {
    const adapter = await serve(json(200, "ollama/chat-nonstream-text-with-thinking.json"), "ollama-key");
    const result = await adapter.complete(call, new AbortController().signal);
    expect(result.text).toBe("The capital of France is **Paris**.");
    expect(result.reasoning).toBe('The user asks: "What is the capital of France?" Simple answer: Paris. Provide concise answer.');
    expect(result.finishReason).toBe("stop");
    expect(result.usage).toEqual({ inputTokens: 74, outputTokens: 40 });
    expect(server?.requests[0].headers.authorization).toBe("Bearer ollama-key");
    expect(JSON.parse(server?.requests[0].body ?? "{}")).toMatchObject({ stream: false });
  });

  it("completes chat-nonstream-tool-call-with-thinking.json as tool-calls with object arguments", async () => {
    const adapter = await serve(json(200, "ollama/chat-nonstream-tool-call-with-thinking.json"));
    const result = await adapter.complete(call, new AbortController().signal);
    expect(result.toolCalls).toEqual([{ id: "call_mo1wm122", name: "getWeather", argumentsJson: '{"location":"San Francisco, CA"}' }]);
    expect(JSON.parse(result.toolCalls[0].argumentsJson)).toEqual({ location: "San Francisco, CA" });
    expect(result.finishReason).toBe("tool-calls");
    expect(result.rawFinishReason).toBe("stop");
    expect(result.usage).toEqual({ inputTokens: 145, outputTokens: 44 });
  });

  it("streams complete tool calls from a done:false line and names ids when the server gives none", async () => {
    const adapter = await serve(
      lines(
        {
          model: "qwen3",
          message: { role: "assistant", content: "", tool_calls: [{ function: { name: "getWeather", arguments: { city: "Paris" } } }] },
          done: false,
        },
        { model: "qwen3", message: { role: "assistant", content: "" }, done: true, done_reason: "stop", prompt_eval_count: 30, eval_count: 12 },
      ),
    );
    const result = await collectStream(adapter.stream(call, new AbortController().signal));
    expect(result.toolCalls).toEqual([{ id: "call_0", name: "getWeather", argumentsJson: '{"city":"Paris"}' }]);
    expect(result.finishReason).toBe("tool-calls");
  });
});

describe("createOllamaAdapter failures", () => {
  it("maps error-400-input-exceeds-context-length.json to context-length-exceeded", async () => {
    const adapter = await serve(json(400, "ollama/error-400-input-exceeds-context-length.json"));
    const error = await failure(adapter.complete(call, new AbortController().signal));
    expect(error.kind).toBe("context-length-exceeded");
    expect(error.status).toBe(400);
  });

  it("maps error-400-model-does-not-support-tools.json to invalid-request", async () => {
    const adapter = await serve(json(400, "ollama/error-400-model-does-not-support-tools.json"));
    const error = await failure(adapter.stream(call, new AbortController().signal));
    expect(error.kind).toBe("invalid-request");
    expect(error.message).not.toContain("gemma3");
  });

  it("maps a 503 server busy to unavailable", async () => {
    const adapter = await serve({
      status: 503,
      chunks: ['{"error":"server busy, please try again.  maximum pending requests exceeded"}'],
    });
    expect((await failure(adapter.complete(call, new AbortController().signal))).kind).toBe("unavailable");
  });

  it("maps a 404 model not found to invalid-request", async () => {
    const adapter = await serve({ status: 404, chunks: ['{"error":"model \\"llama9\\" not found, try pulling it first"}'] });
    expect((await failure(adapter.complete(call, new AbortController().signal))).kind).toBe("invalid-request");
  });

  it("turns an error line after content into an error marked after content", async () => {
    const adapter = await serve(lines(line("Hel"), { error: "an error was encountered while running the model: unexpected EOF" }));
    const error = await failure(adapter.stream(call, new AbortController().signal));
    expect(error.kind).toBe("unavailable");
    expect(error.afterContent).toBe(true);
    expect(error.message).not.toContain("EOF");
  });

  it("reports a stream without the done line as malformed-response", async () => {
    const adapter = await serve(lines(line("Hel"), line("lo")));
    const error = await failure(adapter.stream(call, new AbortController().signal));
    expect(error.kind).toBe("malformed-response");
    expect(error.afterContent).toBe(true);
  });

  it("reports a broken line as malformed-response", async () => {
    const adapter = await serve({ status: 200, chunks: ['{"model":"gemma3:1b","message":{\n'] });
    expect((await failure(adapter.stream(call, new AbortController().signal))).kind).toBe("malformed-response");
  });

  it("closes the upstream request promptly when the caller aborts mid-stream", async () => {
    const adapter = await serve({ ...lines(line("Hel")), hang: true });
    const controller = new AbortController();
    let abortedAt = 0;
    let caught: unknown;
    try {
      for await (const part of adapter.stream(call, controller.signal)) {
        if (part.type === "text-delta") {
          abortedAt = performance.now();
          controller.abort();
        }
      }
    } catch (error) {
      caught = error;
    }
    expect((caught as ProviderError).kind).toBe("canceled");
    const closedAt = await (server?.requests[0].closed ?? Promise.resolve(Number.POSITIVE_INFINITY));
    expect(closedAt - abortedAt).toBeLessThan(100);
  });
});
