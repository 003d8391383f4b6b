import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { providerEntry, providerKinds, providerRegistry } from "../providers/registry.js";
import { createTestCall } from "../providers/http/test-support/create-test-call.js";
import type { Simulator } from "./server.js";
import { startSimulator } from "./server.js";
import { call, fixtureText, keyPaths, missingFrom, parseNdjson, parseSse, payloadPaths } from "./test-helpers.js";

let simulator: Simulator;
beforeAll(async () => {
  simulator = await startSimulator();
});
afterAll(() => simulator.close());
beforeEach(() => simulator.reset());

const weather = { name: "getCurrentWeather", arguments: { location: "Boston, MA", unit: "celsius" } };

describe("OpenAI Chat Completions", () => {
  it("streams chunks with the recorded keys, ending in [DONE]", async () => {
    const response = await call(simulator, "openai", { stream: true, text: "hello there" });
    expect(response.headers.get("content-type")).toBe("text/event-stream; charset=utf-8");
    const events = parseSse(await response.text());
    expect(events.at(-1)?.data).toBe("[DONE]");
    const recorded = payloadPaths(parseSse(fixtureText("openai/chat-stream-text-include-usage.sse")).map((e) => e.data));
    expect(missingFrom(payloadPaths(events.map((e) => e.data)), recorded)).toEqual([]);
    const text = events.slice(0, -1).map((e) => JSON.parse(e.data).choices[0]?.delta?.content ?? "").join("");
    expect(text).toBe("You said: hello there");
  });

  it("sends the usage chunk with empty choices only when include_usage is set", async () => {
    const body = { model: "gpt-4.1", messages: [{ role: "user", content: "hi" }], stream: true };
    const without = parseSse(await (await post("/v1/chat/completions", body)).text());
    expect(without.some((e) => e.data.includes('"usage"'))).toBe(false);
    const withUsage = parseSse(await (await post("/v1/chat/completions", { ...body, stream_options: { include_usage: true } })).text());
    const usageChunk = JSON.parse(withUsage.at(-2)!.data);
    expect(usageChunk.choices).toEqual([]);
    expect(usageChunk.usage).toMatchObject({ prompt_tokens: 2, completion_tokens: 4, total_tokens: 6 });
    expect(JSON.parse(withUsage[0].data).usage).toBeNull();
  });

  it("answers unary requests with the recorded pretty-printed shape", async () => {
    const response = await call(simulator, "openai", { stream: false });
    const text = await response.text();
    expect(text.endsWith("}\n")).toBe(true);
    expect(text).toContain('\n  "object": "chat.completion",');
    const body = JSON.parse(text);
    expect(body.id).toMatch(/^chatcmpl-[A-Za-z0-9]{29}$/);
    expect(missingFrom(keyPaths(body), keyPaths(JSON.parse(fixtureText("openai/chat-nonstream-text.json"))))).toEqual([]);
  });

  it("streams tool calls as id/name first, then argument fragments, finishing with tool_calls", async () => {
    simulator.program({ behavior: { toolCalls: [weather], chunkChars: 5 } });
    const events = parseSse(await (await call(simulator, "openai", { stream: true })).text());
    const chunks = events.filter((e) => e.data !== "[DONE]").map((e) => JSON.parse(e.data));
    const parts = chunks.flatMap((c) => c.choices[0]?.delta?.tool_calls ?? []);
    expect(parts[0]).toMatchObject({ index: 0, type: "function", function: { name: "getCurrentWeather", arguments: "" } });
    expect(parts[0].id).toMatch(/^call_[A-Za-z0-9]{24}$/);
    expect(parts.slice(1).every((p: { function: { arguments: string } }) => p.function.arguments.length <= 5)).toBe(true);
    expect(JSON.parse(parts.map((p: { function: { arguments: string } }) => p.function.arguments).join(""))).toEqual(weather.arguments);
    expect(chunks.at(-1).choices[0].finish_reason).toBe("tool_calls");
    const recorded = payloadPaths(parseSse(fixtureText("openai/chat-stream-tool-call.sse")).map((e) => e.data));
    expect(missingFrom(payloadPaths(events.map((e) => e.data)), recorded)).toEqual([]);
  });

  it("serves Azure deployments with the deployment as the model and redacts api-key", async () => {
    const response = await fetch(`${simulator.url}/openai/deployments/my-gpt/chat/completions?api-version=2024-10-21`, {
      method: "POST",
      headers: { "content-type": "application/json", "api-key": "secret-key" },
      body: JSON.stringify({ messages: [{ role: "user", content: "hi" }] }),
    });
    expect((await response.json()).model).toBe("my-gpt");
    expect(simulator.requests[0]).toMatchObject({ vendor: "openai", model: "my-gpt" });
    expect(simulator.requests[0].headers["api-key"]).toBe("[redacted:10]");
  });
});

describe("Anthropic Messages", () => {
  it("streams named events with padding and the recorded keys", async () => {
    const text = await (await call(simulator, "anthropic", { stream: true })).text();
    const events = parseSse(text);
    expect(events.map((e) => e.event)).toEqual([
      "message_start", "content_block_start", "ping",
      ...Array(8).fill("content_block_delta"),
      "content_block_stop", "message_delta", "message_stop",
    ]);
    expect(text).toMatch(/"type":"message_start".*} +}\n/);
    expect(text).toContain('data: {"type": "ping"}\n');
    for (const event of events) expect(JSON.parse(event.data).type).toBe(event.event);
    const recorded = payloadPaths(parseSse(fixtureText("anthropic/messages-stream-text.sse")).map((e) => e.data));
    expect(missingFrom(payloadPaths(events.map((e) => e.data)), recorded)).toEqual([]);
    expect(JSON.parse(events.at(-2)!.data).usage.output_tokens).toBeGreaterThan(3);
  });

  it("answers unary requests compactly with msg_ ids and end_turn", async () => {
    const raw = await (await call(simulator, "anthropic", { stream: false })).text();
    expect(raw.startsWith('{"id":"msg_01')).toBe(true);
    const body = JSON.parse(raw);
    expect(body.stop_reason).toBe("end_turn");
    expect(missingFrom(keyPaths(body), keyPaths(JSON.parse(fixtureText("anthropic/messages-nonstream-text.json"))))).toEqual([]);
  });

  it("streams thinking, text and tool_use blocks with input_json_delta fragments", async () => {
    simulator.program({ behavior: { reasoning: "Let me think.", text: "Checking.", toolCalls: [weather] } });
    const events = parseSse(await (await call(simulator, "anthropic", { stream: true })).text()).map((e) => JSON.parse(e.data));
    const starts = events.filter((e) => e.type === "content_block_start").map((e) => e.content_block.type);
    expect(starts).toEqual(["thinking", "text", "tool_use"]);
    const toolStart = events.find((e) => e.content_block?.type === "tool_use");
    expect(toolStart.content_block.id).toMatch(/^toolu_01[A-Za-z0-9]{22}$/);
    const json = events.filter((e) => e.delta?.type === "input_json_delta").map((e) => e.delta.partial_json);
    expect(json[0]).toBe("");
    expect(JSON.parse(json.join(""))).toEqual(weather.arguments);
    expect(events.find((e) => e.type === "message_delta").delta.stop_reason).toBe("tool_use");
  });

  it("rejects a request without max_tokens like the real API", async () => {
    const response = await post("/v1/messages", { model: "claude", messages: [] });
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ type: "error", error: { type: "invalid_request_error" } });
  });
});

describe("Gemini", () => {
  it("streams \\r\\n\\r\\n-separated chunks with ': ' separators and running usage", async () => {
    const response = await call(simulator, "gemini", { stream: true });
    expect(response.headers.get("content-type")).toBe("text/event-stream");
    const text = await response.text();
    expect(text.split("\r\n\r\n").length).toBeGreaterThan(3);
    expect(text).toContain('{"candidates": [{"content": {"parts": [{"text": ');
    const chunks = parseSse(text).map((e) => JSON.parse(e.data));
    expect(chunks.every((c) => c.usageMetadata !== undefined)).toBe(true);
    expect(chunks.slice(0, -1).every((c) => c.candidates[0].finishReason === undefined)).toBe(true);
    expect(chunks.at(-1).candidates[0].finishReason).toBe("STOP");
    const counts = chunks.map((c) => c.usageMetadata.candidatesTokenCount);
    expect(counts).toEqual([...counts].sort((a, b) => a - b));
    const recorded = payloadPaths([
      ...parseSse(fixtureText("gemini/streamGenerateContent-text.sse")).map((e) => e.data),
      ...parseSse(fixtureText("gemini/streamGenerateContent-usage-thoughts.sse")).map((e) => e.data),
    ]);
    expect(missingFrom(payloadPaths(parseSse(text).map((e) => e.data)), recorded)).toEqual([]);
  });

  it("sends a function call whole in one chunk, then an empty text part with STOP", async () => {
    simulator.program({ vendor: "gemini", behavior: { toolCalls: [weather] } });
    const chunks = parseSse(await (await call(simulator, "gemini", { stream: true })).text()).map((e) => JSON.parse(e.data));
    expect(chunks).toHaveLength(2);
    expect(chunks[0].candidates[0].content.parts[0].functionCall).toEqual({ name: weather.name, args: weather.arguments });
    expect(chunks[1].candidates[0]).toMatchObject({ content: { parts: [{ text: "" }] }, finishReason: "STOP" });
  });

  it("answers generateContent with the recorded shape and notices a key in the query", async () => {
    const response = await fetch(`${simulator.url}/v1beta/models/gemini-2.5-flash:generateContent?key=AIzaSecret`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ contents: [{ parts: [{ text: "hi" }] }] }),
    });
    const body = await response.json();
    expect(missingFrom(keyPaths(body), keyPaths(JSON.parse(fixtureText("gemini/generateContent-text.json"))))).toEqual([]);
    expect(simulator.requests[0].keyInQuery).toBe(true);
    expect(simulator.requests[0].path).not.toContain("AIzaSecret");
  });
});

describe("Ollama", () => {
  it("streams NDJSON when stream is omitted, ending with done:true and nanosecond durations", async () => {
    const response = await post("/api/chat", { model: "gemma3:1b", messages: [{ role: "user", content: "hi" }] });
    expect(response.headers.get("content-type")).toBe("application/x-ndjson");
    const lines = parseNdjson(await response.text());
    expect(lines.at(-1)).toMatchObject({ done: true, done_reason: "stop", prompt_eval_count: 2, eval_count: 4 });
    expect(lines.slice(0, -1).every((line) => line.done === false)).toBe(true);
    const recorded = keyPaths(parseNdjson(fixtureText("ollama/chat-stream.ndjson")));
    expect(missingFrom(keyPaths(lines), recorded)).toEqual([]);
  });

  it("answers stream:false with one object and sends tool calls whole with object arguments", async () => {
    const getWeather = { name: "getWeather", arguments: { location: "San Francisco, CA" } };
    simulator.program({ vendor: "ollama", behavior: { toolCalls: [getWeather], reasoning: "Use the tool." } });
    const body = await (await call(simulator, "ollama", { stream: false })).json();
    expect(body.message.tool_calls[0]).toMatchObject({ function: { index: 0, name: "getWeather", arguments: getWeather.arguments } });
    expect(body.message.tool_calls[0].id).toMatch(/^call_[a-z0-9]{8}$/);
    const recorded = keyPaths(JSON.parse(fixtureText("ollama/chat-nonstream-tool-call-with-thinking.json")));
    for (const key of keyPaths(JSON.parse(fixtureText("ollama/chat-stream.ndjson").trim().split("\n").at(-1)!))) recorded.add(key);
    expect(missingFrom(keyPaths(body), recorded)).toEqual([]);
    const stream = parseNdjson(await (await call(simulator, "ollama", { stream: true })).text());
    const toolLines = stream.filter((line) => (line.message as { tool_calls?: unknown }).tool_calls !== undefined);
    expect(toolLines).toHaveLength(1);
    expect(toolLines[0].done).toBe(false);
  });
});

describe("every provider kind with a simulator wire", () => {
  const simulated = providerKinds.flatMap((kind) => {
    const wire = providerRegistry[kind].simulatorWire;
    return wire === undefined ? [] : [{ kind, wire }];
  });

  it.each(simulated)("answers the $kind adapter on the $wire wire at that wire's base URL", async ({ kind, wire }) => {
    const settings = { name: kind, kind, baseUrl: simulator.baseUrl(wire), apiKey: "sim-key", headers: {}, maxConnections: 1 };
    const adapter = await providerEntry(kind).create(settings);
    try {
      const result = await adapter.complete(createTestCall({ vendorModel: `model-for-${kind}` }), new AbortController().signal);
      expect(result.text).toBe("You said: Hello there");
    } finally {
      await adapter.close();
    }
    expect(simulator.requests.map((request) => request.vendor)).toEqual([wire]);
  });
});

function post(path: string, body: unknown): Promise<Response> {
  return fetch(`${simulator.url}${path}`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
}
