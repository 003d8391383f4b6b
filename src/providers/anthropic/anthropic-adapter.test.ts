import { afterEach, describe, expect, it } from "vitest";
import { collectStream } from "../http/stream-to-result.js";
import { ProviderError, type ModelCall, type ProviderAdapter, type StreamPart } from "../spec.js";
import { createAnthropicAdapter } from "./anthropic-adapter.js";
import {
  collectParts,
  parseHttprr,
  readCassetteResponse,
  readChunkLines,
  readFixture,
  startReplayServer,
  testTimeouts,
  type ReplayResponse,
  type ReplayServer,
} from "../http/test-support/replay-server.js";

const call: ModelCall = {
  vendorModel: "claude-sonnet-4-5",
  messages: [{ role: "user", parts: [{ type: "text", text: "Count to five." }] }],
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

async function serve(response: ReplayResponse | ((request: { url: string }) => ReplayResponse)): Promise<ProviderAdapter> {
  server = await startReplayServer(response);
  adapter = createAnthropicAdapter({
    name: "anthropic-test",
    kind: "anthropic",
    baseUrl: server.baseUrl,
    apiKey: "sk-ant-test",
    headers: { "anthropic-beta": "tools-2024-05-16" },
    maxConnections: 4,
  });
  return adapter;
}

/** Splits recorded bytes into small pieces so events and UTF-8 characters straddle chunk edges. */
function pieces(bytes: Buffer, size = 37): Buffer[] {
  const result: Buffer[] = [];
  for (let offset = 0; offset < bytes.length; offset += size) result.push(bytes.subarray(offset, offset + size));
  return result;
}

function sse(relativePath: string): ReplayResponse {
  return { status: 200, headers: { "content-type": "text/event-stream; charset=utf-8" }, chunks: pieces(readFixture(relativePath)) };
}

/** Frames vercel's JSON-lines payloads the way Anthropic sends them: a named event per payload. */
function framedChunks(relativePath: string): ReplayResponse {
  const events = readChunkLines(relativePath).map((line) => {
    const type = (JSON.parse(line) as { type: string }).type;
    return `event: ${type}\ndata: ${line}\n\n`;
  });
  return { status: 200, headers: { "content-type": "text/event-stream; charset=utf-8" }, chunks: events };
}

function json(status: number, relativePath: string, headers: Record<string, string> = {}): ReplayResponse {
  return { status, headers: { "content-type": "application/json", ...headers }, chunks: [readFixture(relativePath)] };
}

async function streamError(parts: AsyncIterable<StreamPart>): Promise<ProviderError> {
  const { error } = await collectParts(parts);
  expect(error).toBeInstanceOf(ProviderError);
  return error as ProviderError;
}

async function completeError(promise: Promise<unknown>): Promise<ProviderError> {
  const error = await promise.then(
    () => undefined,
    (reason: unknown) => reason,
  );
  expect(error).toBeInstanceOf(ProviderError);
  return error as ProviderError;
}

describe("createAnthropicAdapter replaying recorded streams", () => {
  it("streams messages-stream-text.sse as text with the final usage and end_turn", async () => {
    const adapter = await serve(sse("anthropic/messages-stream-text.sse"));
    const result = await collectStream(adapter.stream(call, new AbortController().signal));
    expect(result.text).toBe("1\n2\n3\n4\n5");
    expect(result.finishReason).toBe("stop");
    expect(result.rawFinishReason).toBe("end_turn");
    expect(result.usage).toEqual({ inputTokens: 15, cachedInputTokens: 0, cacheWriteInputTokens: 0, outputTokens: 13 });
    expect(result.vendorModel).toBe("claude-3-opus-20240229");
    expect(result.responseId).toBe("msg_01Ju7oPaDmjgrhWq8gNP4AUj");
  });

  it("sends the key, the version, the configured headers and stream true to /v1/messages", async () => {
    const adapter = await serve(sse("anthropic/messages-stream-text.sse"));
    await collectStream(adapter.stream(call, new AbortController().signal));
    const request = server?.requests[0];
    expect(request?.url).toBe("/v1/messages");
    expect(request?.headers["x-api-key"]).toBe("sk-ant-test");
    expect(request?.headers["anthropic-version"]).toBe("2023-06-01");
    expect(request?.headers["anthropic-beta"]).toBe("tools-2024-05-16");
    expect(JSON.parse(request?.body ?? "{}")).toMatchObject({ model: "claude-sonnet-4-5", max_tokens: 4096, stream: true });
  });

  it("assembles the text and two tool calls of messages-stream-text-then-two-tool-uses.sse", async () => {
    const adapter = await serve(sse("anthropic/messages-stream-text-then-two-tool-uses.sse"));
    const parts = (await collectParts(adapter.stream(call, new AbortController().signal))).parts;
    const firstToolPart = parts.find((part) => part.type === "tool-call-delta");
    expect(firstToolPart).toMatchObject({ index: 0, id: "toolu_01VsaoaKxpzdz8vgY4hTGjE3", name: "calculateTip" });

    const result = await collectStream(
      (async function* () {
        yield* parts;
      })(),
    );
    expect(result.text).toBe("I'll calculate the tip and get the waiter's name for you.");
    expect(result.toolCalls.map((toolCall) => ({ ...toolCall, arguments: JSON.parse(toolCall.argumentsJson) as unknown }))).toEqual([
      {
        id: "toolu_01VsaoaKxpzdz8vgY4hTGjE3",
        name: "calculateTip",
        argumentsJson: '{"billAmount": 50, "tipPercentage": 15}',
        arguments: { billAmount: 50, tipPercentage: 15 },
      },
      { id: "toolu_01Uksi8drJHeC8rCj8yVUtCJ", name: "getWaiterName", argumentsJson: "{}", arguments: {} },
    ]);
    expect(result.finishReason).toBe("tool-calls");
    expect(result.rawFinishReason).toBe("tool_use");
    expect(result.usage).toEqual({ inputTokens: 679, cachedInputTokens: 0, cacheWriteInputTokens: 0, outputTokens: 111 });
  });

  it("gives a tool call whose only fragment is empty the arguments {} in messages-stream-tool-use-no-args", async () => {
    const adapter = await serve(framedChunks("anthropic/messages-stream-tool-use-no-args.chunks.txt"));
    const result = await collectStream(adapter.stream(call, new AbortController().signal));
    expect(result.text).toBe("I'll update the issue list for you.");
    expect(result.toolCalls).toEqual([{ id: "toolu_01QE1WLsSVp5hy5Q3GmGTmjP", name: "updateIssueList", argumentsJson: "{}" }]);
    expect(result.finishReason).toBe("tool-calls");
    expect(result.usage).toEqual({ inputTokens: 565, cachedInputTokens: 0, cacheWriteInputTokens: 0, outputTokens: 48 });
  });

  it("takes input_tokens from message_delta over message_start and leaves unreported cache fields absent", async () => {
    const adapter = await serve(framedChunks("anthropic/messages-stream-message-delta-input-tokens.chunks.txt"));
    const result = await collectStream(adapter.stream(call, new AbortController().signal));
    expect(result.text).toBe("pong");
    expect(result.usage).toEqual({ inputTokens: 61, outputTokens: 2 });
    expect(result.rawFinishReason).toBe("end_turn");
  });

  it("turns a mid-stream overloaded error event into unavailable after content, with the usage so far", async () => {
    const recorded = readFixture("anthropic/messages-stream-text.sse").toString("utf8");
    const cut = recorded.indexOf("event: ping");
    const errorData = readFixture("anthropic/transcribed/stream-error-event-overloaded.data.json").toString("utf8").trim();
    const adapter = await serve({
      status: 200,
      headers: { "content-type": "text/event-stream" },
      chunks: [recorded.slice(0, cut), `event: error\ndata: ${errorData}\n\n`],
    });
    const error = await streamError(adapter.stream(call, new AbortController().signal));
    expect(error.kind).toBe("unavailable");
    expect(error.vendorCode).toBe("overloaded_error");
    expect(error.afterContent).toBe(true);
    expect(error.usage).toEqual({ inputTokens: 15, cachedInputTokens: 0, cacheWriteInputTokens: 0, outputTokens: 3 });
    expect(error.message).not.toContain("Overloaded");
  });

  it("reports a stream that ends without message_stop as malformed-response", async () => {
    const recorded = readFixture("anthropic/messages-stream-text.sse").toString("utf8");
    const adapter = await serve({ status: 200, chunks: [recorded.slice(0, recorded.indexOf("event: message_stop"))] });
    const error = await streamError(adapter.stream(call, new AbortController().signal));
    expect(error.kind).toBe("malformed-response");
    expect(error.afterContent).toBe(true);
    expect(error.usage?.outputTokens).toBe(13);
  });

  it("reports broken event JSON as malformed-response", async () => {
    const adapter = await serve({ status: 200, chunks: ['event: message_start\ndata: {"type":"message_start","message":{\n\n'] });
    const error = await streamError(adapter.stream(call, new AbortController().signal));
    expect(error.kind).toBe("malformed-response");
    expect(error.afterContent).toBe(false);
  });

  it("yields warnings before anything else", async () => {
    const adapter = await serve(sse("anthropic/messages-stream-text.sse"));
    const { parts } = await collectParts(adapter.stream({ ...call, sampling: { stopSequences: [], seed: 7 } }, new AbortController().signal));
    expect(parts[0]).toMatchObject({ type: "warning", warning: { code: "unsupported-setting" } });
    expect(parts[1].type).toBe("metadata");
    expect(parts.at(-1)?.type).toBe("finish");
  });
});

describe("createAnthropicAdapter replaying recorded non-streaming responses", () => {
  it("completes messages-nonstream-text.json with text, usage and end_turn", async () => {
    const adapter = await serve(json(200, "anthropic/messages-nonstream-text.json"));
    const result = await adapter.complete(call, new AbortController().signal);
    expect(result.text).toBe(
      "Hello! As an AI language model, I don't have feelings, but I'm functioning properly and ready to assist you. How can I help you today?",
    );
    expect(result.finishReason).toBe("stop");
    expect(result.rawFinishReason).toBe("end_turn");
    expect(result.usage).toEqual({ inputTokens: 13, cachedInputTokens: 0, cacheWriteInputTokens: 0, outputTokens: 35 });
    expect(JSON.parse(server?.requests[0].body ?? "{}")).toMatchObject({ stream: false });
  });

  it("completes messages-nonstream-text-and-tool-use.json with a tool call whose input is {}", async () => {
    const adapter = await serve(json(200, "anthropic/messages-nonstream-text-and-tool-use.json"));
    const result = await adapter.complete(call, new AbortController().signal);
    expect(result.text).toContain("Okay, I will update the current issue list:");
    expect(result.toolCalls).toEqual([{ id: "toolu_01LRmxn9vGM1d2DZSDBowdZ1", name: "updateIssueList", argumentsJson: "{}" }]);
    expect(result.finishReason).toBe("tool-calls");
    expect(result.rawFinishReason).toBe("tool_use");
    expect(result.usage).toEqual({ inputTokens: 602, cachedInputTokens: 0, cacheWriteInputTokens: 0, outputTokens: 93 });
  });
});

describe("createAnthropicAdapter replaying recorded errors", () => {
  it("maps error-429-rate-limit.json to rate-limited with the retry-after wait", async () => {
    const adapter = await serve(json(429, "anthropic/error-429-rate-limit.json", { "retry-after": "17" }));
    const error = await completeError(adapter.complete(call, new AbortController().signal));
    expect(error.kind).toBe("rate-limited");
    expect(error.status).toBe(429);
    expect(error.retryAfterMs).toBe(17_000);
    expect(error.message).not.toContain("concurrent");
  });

  it("maps the recorded 429 exchange in the httprr trace to rate-limited with no invented wait", async () => {
    const [exchange] = parseHttprr(readFixture("anthropic/raw/langchaingo-TestClient_WithAnthropicBetaHeader-429.httprr"));
    const adapter = await serve({ status: exchange.status, headers: exchange.headers, chunks: [exchange.body] });
    const error = await streamError(adapter.stream(call, new AbortController().signal));
    expect(error.kind).toBe("rate-limited");
    expect(error.vendorCode).toBe("rate_limit_error");
    expect(error.retryAfterMs).toBeUndefined();
  });

  it("maps error-400-invalid-request.cassette.yaml to invalid-request", async () => {
    const recorded = readCassetteResponse("anthropic/error-400-invalid-request.cassette.yaml");
    const adapter = await serve({ status: recorded.status, headers: { "content-type": recorded.contentType }, chunks: [recorded.body] });
    const error = await completeError(adapter.complete(call, new AbortController().signal));
    expect(error.kind).toBe("invalid-request");
    expect(error.status).toBe(400);
    expect(error.message).not.toContain("xhigh");
  });

  it("maps error-404-not-found.cassette.yaml to invalid-request", async () => {
    const recorded = readCassetteResponse("anthropic/error-404-not-found.cassette.yaml");
    const adapter = await serve({ status: recorded.status, chunks: [recorded.body] });
    const error = await completeError(adapter.complete(call, new AbortController().signal));
    expect(error.kind).toBe("invalid-request");
    expect(error.vendorCode).toBe("not_found_error");
  });

  it("maps transcribed error-529-overloaded.json to unavailable", async () => {
    const adapter = await serve(json(529, "anthropic/transcribed/error-529-overloaded.json"));
    const error = await streamError(adapter.stream(call, new AbortController().signal));
    expect(error.kind).toBe("unavailable");
    expect(error.status).toBe(529);
  });

  it("classifies an error envelope sent with a 200 status instead of calling it a message", async () => {
    const adapter = await serve(json(200, "anthropic/transcribed/error-529-overloaded.json"));
    const error = await completeError(adapter.complete(call, new AbortController().signal));
    expect(error.kind).toBe("unavailable");
  });

  it("reports a 200 body that is not a message as malformed-response", async () => {
    const adapter = await serve({ status: 200, chunks: ["<html>oops</html>"] });
    const error = await completeError(adapter.complete(call, new AbortController().signal));
    expect(error.kind).toBe("malformed-response");
  });
});

describe("createAnthropicAdapter time limits", () => {
  it("fails an idle stream with timeout, marked after content and carrying the usage so far", async () => {
    const recorded = readFixture("anthropic/messages-stream-text.sse").toString("utf8");
    const adapter = await serve({ status: 200, chunks: [recorded.slice(0, recorded.indexOf("event: ping"))], hang: true });
    const error = await streamError(adapter.stream({ ...call, timeouts: { ...testTimeouts, idleMs: 150 } }, new AbortController().signal));
    expect(error.kind).toBe("timeout");
    expect(error.afterContent).toBe(true);
    expect(error.usage?.inputTokens).toBe(15);
  });
});

describe("createAnthropicAdapter cancellation", () => {
  it("closes the upstream request promptly when the caller aborts mid-stream", async () => {
    const recorded = readFixture("anthropic/messages-stream-text.sse").toString("utf8");
    const adapter = await serve({ status: 200, chunks: [recorded.slice(0, recorded.indexOf("event: ping"))], hang: true });
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
    expect(caught).toBeInstanceOf(ProviderError);
    expect((caught as ProviderError).kind).toBe("canceled");
    const closedAt = await (server?.requests[0].closed ?? Promise.resolve(Number.POSITIVE_INFINITY));
    expect(closedAt - abortedAt).toBeLessThan(100);
  });
});
