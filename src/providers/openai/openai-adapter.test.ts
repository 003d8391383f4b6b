import type { ServerResponse } from "node:http";
import { afterEach, describe, expect, it } from "vitest";
import { collectStream } from "../http/stream-to-result.js";
import { collectParts, createTestCall, rejectionOf } from "../http/test-support/create-test-call.js";
import { startTestServer, type RecordedRequest } from "../http/test-support/start-test-server.js";
import { ProviderError, type ProviderAdapter } from "../spec.js";
import { createOpenAIAdapter } from "./openai-adapter.js";

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()?.();
});

async function setup(
  handler: (request: RecordedRequest, response: ServerResponse) => void | Promise<void>,
): Promise<{ adapter: ProviderAdapter; requests: RecordedRequest[] }> {
  const server = await startTestServer(handler, "/v1");
  const adapter = createOpenAIAdapter({
    name: "openai",
    kind: "openai",
    baseUrl: server.baseUrl,
    apiKey: "sk-secret",
    headers: { "openai-project": "proj_1" },
    maxConnections: 2,
  });
  cleanups.push(() => server.close(), () => adapter.close());
  return { adapter, requests: server.requests };
}

function chunk(delta: Record<string, unknown>, finish: string | null = null): string {
  return `data: ${JSON.stringify({ id: "chatcmpl-1", model: "gpt-x", choices: [{ index: 0, delta, finish_reason: finish }], usage: null })}\n\n`;
}

function sseResponse(response: ServerResponse, ...events: string[]): void {
  response.writeHead(200, { "content-type": "text/event-stream" });
  for (const event of events) response.write(event);
  response.end();
}

const usageChunk = `data: ${JSON.stringify({ id: "chatcmpl-1", model: "gpt-x", choices: [], usage: { prompt_tokens: 3, completion_tokens: 2 } })}\n\n`;

describe("createOpenAIAdapter", () => {
  it("translates every part of the call into the Chat Completions body", async () => {
    const { adapter, requests } = await setup((_request, response) => sseResponse(response, chunk({ content: "ok" }, "stop"), usageChunk, "data: [DONE]\n\n"));
    const call = createTestCall({
      vendorModel: "gpt-4.1-mini",
      requestId: "req-7",
      messages: [
        { role: "system", parts: [{ type: "text", text: "Be brief." }] },
        {
          role: "user",
          parts: [
            { type: "text", text: "What is this?" },
            { type: "image", url: "https://example.com/cat.png" },
            { type: "image", data: new Uint8Array([0x89, 0x50, 0x4e, 0x47, 1]) },
          ],
        },
        { role: "assistant", parts: [], toolCalls: [{ id: "call_1", name: "lookup", argumentsJson: '{"q":"cat"}' }] },
        { role: "tool", parts: [{ type: "text", text: "a cat" }], toolCallId: "call_1", toolName: "lookup" },
        { role: "assistant", parts: [{ type: "text", text: "A cat." }] },
        { role: "user", parts: [{ type: "text", text: "Thanks" }] },
      ],
      sampling: { temperature: 0.2, topP: 0.9, maxOutputTokens: 100, seed: 42, stopSequences: ["a", "b", "c", "d", "e"] },
      tools: [{ name: "lookup", description: "Looks up", parameters: { type: "object", properties: { q: { type: "string" } } } }],
      toolChoice: { mode: "tool", toolName: "lookup" },
      responseFormat: { type: "json-schema", schemaName: "answer", schema: { type: "object" }, strict: true },
    });
    const parts = await collectParts(adapter.stream(call, new AbortController().signal));
    expect(parts[0]).toEqual({ type: "warning", warning: expect.objectContaining({ code: "clamped-setting" }) as unknown });

    const request = requests[0];
    expect(request.url).toBe("/v1/chat/completions");
    expect(request.headers.authorization).toBe("Bearer sk-secret");
    expect(request.headers["openai-project"]).toBe("proj_1");
    expect(request.headers["x-client-request-id"]).toBe("req-7");
    expect(JSON.parse(request.body)).toEqual({
      model: "gpt-4.1-mini",
      messages: [
        { role: "system", content: "Be brief." },
        {
          role: "user",
          content: [
            { type: "text", text: "What is this?" },
            { type: "image_url", image_url: { url: "https://example.com/cat.png" } },
            { type: "image_url", image_url: { url: "data:image/png;base64,iVBORwE=" } },
          ],
        },
        { role: "assistant", content: null, tool_calls: [{ id: "call_1", type: "function", function: { name: "lookup", arguments: '{"q":"cat"}' } }] },
        { role: "tool", tool_call_id: "call_1", content: "a cat" },
        { role: "assistant", content: "A cat." },
        { role: "user", content: "Thanks" },
      ],
      temperature: 0.2,
      top_p: 0.9,
      max_completion_tokens: 100,
      seed: 42,
      stop: ["a", "b", "c", "d"],
      tools: [{ type: "function", function: { name: "lookup", description: "Looks up", parameters: { type: "object", properties: { q: { type: "string" } } } } }],
      tool_choice: { type: "function", function: { name: "lookup" } },
      response_format: { type: "json_schema", json_schema: { name: "answer", schema: { type: "object" }, strict: true } },
      stream: true,
      stream_options: { include_usage: true },
    });
  });

  it("sends json_object for plain JSON mode and a string tool choice for auto", async () => {
    const { adapter, requests } = await setup((_request, response) => {
      response.writeHead(200, { "content-type": "application/json" });
      response.end(JSON.stringify({ id: "c", model: "m", choices: [{ index: 0, message: { role: "assistant", content: "{}" }, finish_reason: "stop" }] }));
    });
    const result = await adapter.complete(
      createTestCall({ responseFormat: { type: "json" }, toolChoice: { mode: "required" } }),
      new AbortController().signal,
    );
    const body = JSON.parse(requests[0].body) as Record<string, unknown>;
    expect(body).toMatchObject({ response_format: { type: "json_object" }, tool_choice: "required", stream: false });
    expect(body).not.toHaveProperty("stream_options");
    expect(result.usage).toEqual({});
  });

  it("leaves usage absent when the stream carries no usage chunk", async () => {
    const { adapter } = await setup((_request, response) => sseResponse(response, chunk({ content: "hi" }, "stop"), "data: [DONE]\n\n"));
    const parts = await collectParts(adapter.stream(createTestCall(), new AbortController().signal));
    expect(parts.at(-1)).toEqual({ type: "finish", finishReason: "stop", rawFinishReason: "stop", usage: {} });
  });

  it("fails with malformed-response when the stream ends without [DONE]", async () => {
    const { adapter } = await setup((_request, response) => sseResponse(response, chunk({ content: "hi" }), usageChunk));
    const error = (await rejectionOf(collectParts(adapter.stream(createTestCall(), new AbortController().signal)))) as ProviderError;
    expect(error).toBeInstanceOf(ProviderError);
    expect(error).toMatchObject({ kind: "malformed-response", afterContent: true, usage: { inputTokens: 3, outputTokens: 2 } });
  });

  it("fails with malformed-response on an event that is not JSON", async () => {
    const { adapter } = await setup((_request, response) => sseResponse(response, chunk({ content: "hi" }), "data: {not json\n\n", "data: [DONE]\n\n"));
    const error = (await rejectionOf(collectParts(adapter.stream(createTestCall(), new AbortController().signal)))) as ProviderError;
    expect(error).toMatchObject({ kind: "malformed-response", afterContent: true });
  });

  it("maps an error event inside a 200 stream and marks it after content", async () => {
    const errorEvent = `data: ${JSON.stringify({ error: { message: "The server had an error", type: "server_error", code: null } })}\n\n`;
    const { adapter } = await setup((_request, response) => sseResponse(response, chunk({ content: "hi" }), errorEvent));
    const error = (await rejectionOf(collectParts(adapter.stream(createTestCall(), new AbortController().signal)))) as ProviderError;
    expect(error).toMatchObject({ kind: "unavailable", afterContent: true, status: undefined });
    expect(error.message).not.toContain("The server had an error");
  });

  it("maps a 429 to rate-limited with the delay from retry-after", async () => {
    const { adapter } = await setup((_request, response) => {
      response.writeHead(429, { "content-type": "application/json", "retry-after": "7" });
      response.end(JSON.stringify({ error: { message: "slow down", type: "requests", code: "rate_limit_exceeded" } }));
    });
    const error = (await rejectionOf(collectParts(adapter.stream(createTestCall(), new AbortController().signal)))) as ProviderError;
    expect(error).toMatchObject({ kind: "rate-limited", retryAfterMs: 7000, afterContent: false });
  });

  it("aborts the upstream request within 100 ms of the caller's abort", async () => {
    const { adapter, requests } = await setup((_request, response) => {
      response.writeHead(200, { "content-type": "text/event-stream" });
      response.write(chunk({ content: "first" }));
    });
    const controller = new AbortController();
    const iterator = adapter.stream(createTestCall(), controller.signal)[Symbol.asyncIterator]();
    expect((await iterator.next()).value).toMatchObject({ type: "metadata" });
    expect((await iterator.next()).value).toEqual({ type: "text-delta", text: "first" });
    const pending = iterator.next();
    controller.abort();
    const error = (await rejectionOf(pending)) as ProviderError;
    expect(error).toMatchObject({ kind: "canceled", afterContent: true });
    const closed = await Promise.race([requests[0].aborted.then(() => "closed"), new Promise((resolve) => setTimeout(() => resolve("late"), 100))]);
    expect(closed).toBe("closed");
  });

  it("aborts the upstream request when the consumer stops early", async () => {
    const { adapter, requests } = await setup((_request, response) => {
      response.writeHead(200, { "content-type": "text/event-stream" });
      response.write(chunk({ content: "first" }));
    });
    for await (const part of adapter.stream(createTestCall(), new AbortController().signal)) {
      if (part.type === "text-delta") break;
    }
    const closed = await Promise.race([requests[0].aborted.then(() => "closed"), new Promise((resolve) => setTimeout(() => resolve("late"), 100))]);
    expect(closed).toBe("closed");
  });

  it("passes reasoning deltas of compatible servers through as reasoning", async () => {
    const { adapter } = await setup((_request, response) =>
      sseResponse(response, chunk({ reasoning_content: "think" }), chunk({ content: "answer" }, "stop"), "data: [DONE]\n\n"),
    );
    const result = await collectStream(adapter.stream(createTestCall(), new AbortController().signal));
    expect(result).toMatchObject({ reasoning: "think", text: "answer" });
  });
});
