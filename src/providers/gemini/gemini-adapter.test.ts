import { afterEach, describe, expect, it } from "vitest";
import { collectStream } from "../http/stream-to-result.js";
import { ProviderError, type CompleteResult, type ModelCall, type ProviderAdapter, type StreamPart } from "../spec.js";
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
import { createGeminiAdapter } from "./gemini-adapter.js";

const call: ModelCall = {
  vendorModel: "gemini-2.5-flash",
  messages: [{ role: "user", parts: [{ type: "text", text: "What is the capital of France?" }] }],
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

async function serve(response: ReplayResponse): Promise<ProviderAdapter> {
  server = await startReplayServer(response);
  adapter = createGeminiAdapter({
    name: "gemini-test",
    kind: "gemini",
    baseUrl: `${server.baseUrl}/v1beta`,
    apiKey: "AIza-test-key",
    headers: {},
    maxConnections: 4,
  });
  return adapter;
}

function pieces(bytes: Buffer, size = 41): Buffer[] {
  const result: Buffer[] = [];
  for (let offset = 0; offset < bytes.length; offset += size) result.push(bytes.subarray(offset, offset + size));
  return result;
}

function sse(relativePath: string): ReplayResponse {
  return { status: 200, headers: { "content-type": "text/event-stream" }, chunks: pieces(readFixture(relativePath)) };
}

/** Frames vercel's JSON-lines payloads the way Gemini's `alt=sse` does: `data: …\r\n\r\n`. */
function framedChunks(relativePath: string): ReplayResponse {
  return {
    status: 200,
    headers: { "content-type": "text/event-stream" },
    chunks: readChunkLines(relativePath).map((line) => `data: ${line}\r\n\r\n`),
  };
}

function json(status: number, relativePath: string): ReplayResponse {
  return { status, headers: { "content-type": "application/json; charset=UTF-8" }, chunks: [readFixture(relativePath)] };
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

function withParsedArguments(result: CompleteResult) {
  return result.toolCalls.map((toolCall) => ({ ...toolCall, arguments: JSON.parse(toolCall.argumentsJson) as unknown }));
}

describe("createGeminiAdapter replaying recorded non-streaming responses", () => {
  it("completes generateContent-text.json with thoughts counted as reasoning output", async () => {
    const adapter = await serve(json(200, "gemini/generateContent-text.json"));
    const result = await adapter.complete(call, new AbortController().signal);
    expect(result.text).toBe("There are **3** r's in strawberry.\n\nHere is the breakdown: st**r**awbe**rr**y.");
    expect(result.finishReason).toBe("stop");
    expect(result.rawFinishReason).toBe("STOP");
    expect(result.usage).toEqual({ inputTokens: 9, outputTokens: 272, reasoningTokens: 244 });
    expect(result.vendorModel).toBe("gemini-3-pro-preview");
    expect(result.responseId).toBe("Un6LacrVMcjUxs0PmJfWoQc");
  });

  it("posts to :generateContent with the key in x-goog-api-key and never in the URL", async () => {
    const adapter = await serve(json(200, "gemini/generateContent-text.json"));
    await adapter.complete(call, new AbortController().signal);
    const request = server?.requests[0];
    expect(request?.url).toBe("/v1beta/models/gemini-2.5-flash:generateContent");
    expect(request?.headers["x-goog-api-key"]).toBe("AIza-test-key");
    expect(request?.url).not.toContain("AIza");
  });

  it("completes generateContent-function-call.json as tool-calls with raw STOP", async () => {
    const adapter = await serve(json(200, "gemini/generateContent-function-call.json"));
    const result = await adapter.complete(call, new AbortController().signal);
    expect(withParsedArguments(result)).toEqual([
      { id: "call_0", name: "weather", argumentsJson: '{"location":"San Francisco"}', arguments: { location: "San Francisco" } },
    ]);
    expect(result.finishReason).toBe("tool-calls");
    expect(result.rawFinishReason).toBe("STOP");
    expect(result.usage).toEqual({ inputTokens: 29, outputTokens: 908, reasoningTokens: 893 });
  });

  it("completes generateContent-max-tokens.cassette.yaml as length with raw MAX_TOKENS", async () => {
    const recorded = readCassetteResponse("gemini/generateContent-max-tokens.cassette.yaml");
    const adapter = await serve({ status: recorded.status, headers: { "content-type": recorded.contentType }, chunks: [recorded.body] });
    const result = await adapter.complete(call, new AbortController().signal);
    expect(result.text).toBe("The capital of France is");
    expect(result.finishReason).toBe("length");
    expect(result.rawFinishReason).toBe("MAX_TOKENS");
    expect(result.usage).toEqual({ inputTokens: 15, outputTokens: 5 });
  });
});

describe("createGeminiAdapter replaying recorded streams", () => {
  it("streams streamGenerateContent-text.sse with usage from the last chunk", async () => {
    const adapter = await serve(sse("gemini/streamGenerateContent-text.sse"));
    const result = await collectStream(adapter.stream(call, new AbortController().signal));
    expect(result.text).toBe("The capital of France is Paris.\n");
    expect(result.finishReason).toBe("stop");
    expect(result.rawFinishReason).toBe("STOP");
    expect(result.usage).toEqual({ inputTokens: 13, outputTokens: 8 });
    expect(server?.requests[0].url).toBe("/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse");
  });

  it("streams the whole function call of streamGenerateContent-function-call.sse as one tool call", async () => {
    const adapter = await serve(sse("gemini/streamGenerateContent-function-call.sse"));
    const result = await collectStream(adapter.stream(call, new AbortController().signal));
    expect(result.toolCalls).toEqual([{ id: "call_0", name: "get_country", argumentsJson: "{}" }]);
    expect(result.text).toBe("");
    expect(result.finishReason).toBe("tool-calls");
    expect(result.rawFinishReason).toBe("STOP");
    expect(result.usage).toEqual({ inputTokens: 29, outputTokens: 212, reasoningTokens: 202 });
  });

  it("takes the changed promptTokenCount of the final chunk in streamGenerateContent-after-function-response.sse", async () => {
    const adapter = await serve(sse("gemini/streamGenerateContent-after-function-response.sse"));
    const result = await collectStream(adapter.stream(call, new AbortController().signal));
    expect(result.text).toBe("The capital of Mexico is Mexico City.");
    expect(result.usage).toEqual({ inputTokens: 257, outputTokens: 8 });
  });

  it("adds thoughts to candidates for output tokens in streamGenerateContent-usage-thoughts.sse", async () => {
    const adapter = await serve(sse("gemini/streamGenerateContent-usage-thoughts.sse"));
    const result = await collectStream(adapter.stream(call, new AbortController().signal));
    expect(result.text).toBe(Array.from({ length: 30 }, (_, index) => String(index + 1)).join("\n"));
    expect(result.usage).toEqual({ inputTokens: 18, outputTokens: 115, reasoningTokens: 35 });
  });

  it("assembles Vertex streamed partialArgs in vertex-stream-function-call-partial-args into two calls", async () => {
    const adapter = await serve(framedChunks("gemini/vertex-stream-function-call-partial-args.chunks.txt"));
    const result = await collectStream(adapter.stream(call, new AbortController().signal));
    expect(withParsedArguments(result)).toEqual([
      { id: "call_0", name: "getWeather", argumentsJson: '{"location":"Boston"}', arguments: { location: "Boston" } },
      { id: "call_1", name: "getWeather", argumentsJson: '{"location":"San Francisco"}', arguments: { location: "San Francisco" } },
    ]);
    expect(result.finishReason).toBe("tool-calls");
    expect(result.usage).toEqual({ inputTokens: 26, outputTokens: 155, reasoningTokens: 132 });
  });

  it("reports EOF before any finishReason as malformed-response, with the usage so far", async () => {
    const recorded = readFixture("gemini/streamGenerateContent-text.sse").toString("utf8");
    const events = recorded.split("\r\n\r\n");
    const adapter = await serve({ status: 200, chunks: [`${events[0]}\r\n\r\n${events[1]}\r\n\r\n`] });
    const error = await failure(adapter.stream(call, new AbortController().signal));
    expect(error.kind).toBe("malformed-response");
    expect(error.afterContent).toBe(true);
    expect(error.usage).toEqual({ inputTokens: 15 });
  });

  it("turns a bare error chunk after content into that error, marked after content", async () => {
    const recorded = readFixture("gemini/streamGenerateContent-text.sse").toString("utf8");
    const first = recorded.split("\r\n\r\n")[0];
    const errorChunk = readFixture("gemini/transcribed/error-503-unavailable.json").toString("utf8").replace(/\n\s*/g, "");
    const adapter = await serve({ status: 200, chunks: [`${first}\r\n\r\n`, `data: ${errorChunk}\r\n\r\n`] });
    const error = await failure(adapter.stream(call, new AbortController().signal));
    expect(error.kind).toBe("unavailable");
    expect(error.afterContent).toBe(true);
    expect(error.usage).toEqual({ inputTokens: 15 });
    expect(error.message).not.toContain("high demand");
  });

  it("turns a blocked prompt into content-filtered", async () => {
    const adapter = await serve({
      status: 200,
      chunks: ['data: {"promptFeedback": {"blockReason": "PROHIBITED_CONTENT"},"usageMetadata": {"promptTokenCount": 7}}\r\n\r\n'],
    });
    const error = await failure(adapter.stream(call, new AbortController().signal));
    expect(error.kind).toBe("content-filtered");
    expect(error.vendorCode).toBe("PROHIBITED_CONTENT");
    expect(error.usage).toEqual({ inputTokens: 7 });
  });

  it("reports broken chunk JSON as malformed-response", async () => {
    const adapter = await serve({ status: 200, chunks: ['data: {"candidates": [\r\n\r\n'] });
    expect((await failure(adapter.stream(call, new AbortController().signal))).kind).toBe("malformed-response");
  });
});

describe("createGeminiAdapter replaying recorded errors", () => {
  it("maps error-403-permission-denied.json to auth-failed", async () => {
    const adapter = await serve(json(403, "gemini/error-403-permission-denied.json"));
    const error = await failure(adapter.complete(call, new AbortController().signal));
    expect(error.kind).toBe("auth-failed");
    expect(error.vendorCode).toBe("PERMISSION_DENIED");
    expect(error.message).not.toContain("unregistered");
  });

  it("maps the recorded 403 exchange in the httprr trace to auth-failed", async () => {
    const [exchange] = parseHttprr(readFixture("gemini/raw/langchaingo-TestGoogleAIErrorHandling-403.httprr"));
    const adapter = await serve({ status: exchange.status, headers: exchange.headers, chunks: [exchange.body] });
    const error = await failure(adapter.stream(call, new AbortController().signal));
    expect(error.kind).toBe("auth-failed");
    expect(error.status).toBe(403);
  });

  it("maps error-404-not-found.cassette.yaml to invalid-request", async () => {
    const recorded = readCassetteResponse("gemini/error-404-not-found.cassette.yaml");
    const adapter = await serve({ status: recorded.status, chunks: [recorded.body] });
    const error = await failure(adapter.complete(call, new AbortController().signal));
    expect(error.kind).toBe("invalid-request");
    expect(error.vendorCode).toBe("NOT_FOUND");
  });

  it("maps error-429-resource-exhausted-retry-info.json to rate-limited with the RetryInfo delay", async () => {
    const adapter = await serve(json(429, "gemini/error-429-resource-exhausted-retry-info.json"));
    const error = await failure(adapter.complete(call, new AbortController().signal));
    expect(error.kind).toBe("rate-limited");
    expect(error.retryAfterMs).toBe(34_400);
  });

  it("maps transcribed error-429-resource-exhausted.json to rate-limited with no invented delay", async () => {
    const adapter = await serve(json(429, "gemini/transcribed/error-429-resource-exhausted.json"));
    const error = await failure(adapter.stream(call, new AbortController().signal));
    expect(error.kind).toBe("rate-limited");
    expect(error.retryAfterMs).toBeUndefined();
  });

  it("maps transcribed error-400-input-token-count-exceeded.json to context-length-exceeded", async () => {
    const adapter = await serve(json(400, "gemini/transcribed/error-400-input-token-count-exceeded.json"));
    const error = await failure(adapter.complete(call, new AbortController().signal));
    expect(error.kind).toBe("context-length-exceeded");
    expect(error.message).not.toContain("3475108");
  });

  it("maps transcribed error-503-unavailable.json to unavailable", async () => {
    const adapter = await serve(json(503, "gemini/transcribed/error-503-unavailable.json"));
    expect((await failure(adapter.complete(call, new AbortController().signal))).kind).toBe("unavailable");
  });

  it("maps a 504 DEADLINE_EXCEEDED to timeout", async () => {
    const adapter = await serve({
      status: 504,
      chunks: ['{"error": {"code": 504, "message": "Deadline expired.", "status": "DEADLINE_EXCEEDED"}}'],
    });
    expect((await failure(adapter.complete(call, new AbortController().signal))).kind).toBe("timeout");
  });
});

describe("createGeminiAdapter cancellation", () => {
  it("closes the upstream request promptly when the caller aborts mid-stream", async () => {
    const recorded = readFixture("gemini/streamGenerateContent-text.sse").toString("utf8");
    const adapter = await serve({ status: 200, chunks: [`${recorded.split("\r\n\r\n")[0]}\r\n\r\n`], hang: true });
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
