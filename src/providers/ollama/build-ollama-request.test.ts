import { describe, expect, it } from "vitest";
import type { ModelCall } from "../spec.js";
import { buildOllamaRequest } from "./build-ollama-request.js";

const timeouts = { connectMs: 1000, firstTokenMs: 1000, idleMs: 1000, totalMs: 1000 };

function call(overrides: Partial<ModelCall> = {}): ModelCall {
  return {
    vendorModel: "qwen3:8b",
    messages: [{ role: "user", parts: [{ type: "text", text: "Hi" }] }],
    sampling: { stopSequences: [] },
    tools: [],
    timeouts,
    ...overrides,
  };
}

const tools = [{ name: "weather", description: "Get weather", parameters: { type: "object" } }];

describe("buildOllamaRequest", () => {
  it("always sends stream explicitly", () => {
    expect(buildOllamaRequest(call(), false).body.stream).toBe(false);
    expect(buildOllamaRequest(call(), true).body.stream).toBe(true);
  });

  it("keeps the system message in place and sends tool calls with object arguments and results with tool_name", () => {
    const { body } = buildOllamaRequest(
      call({
        messages: [
          { role: "system", parts: [{ type: "text", text: "Be brief." }] },
          { role: "user", parts: [{ type: "text", text: "Weather?" }] },
          { role: "assistant", parts: [], toolCalls: [{ id: "call_0", name: "weather", argumentsJson: '{"city":"Paris"}' }] },
          { role: "tool", toolCallId: "call_0", parts: [{ type: "text", text: "18C" }] },
        ],
      }),
      true,
    );
    expect(body.messages).toEqual([
      { role: "system", content: "Be brief." },
      { role: "user", content: "Weather?" },
      { role: "assistant", content: "", tool_calls: [{ function: { name: "weather", arguments: { city: "Paris" } } }] },
      { role: "tool", content: "18C", tool_name: "weather" },
    ]);
  });

  it("sends tools OpenAI-style", () => {
    expect(buildOllamaRequest(call({ tools }), true).body.tools).toEqual([
      { type: "function", function: { name: "weather", description: "Get weather", parameters: { type: "object" } } },
    ]);
  });

  it("warns that a required tool choice cannot be enforced", () => {
    const { warnings } = buildOllamaRequest(call({ tools, toolChoice: { mode: "required" } }), true);
    expect(warnings.map((warning) => warning.code)).toEqual(["unsupported-setting"]);
  });

  it("honours tool choice none by not sending the tools", () => {
    const { body, warnings } = buildOllamaRequest(call({ tools, toolChoice: { mode: "none" } }), true);
    expect(body.tools).toBeUndefined();
    expect(warnings).toEqual([]);
  });

  it("puts sampling, the output limit, stop sequences and seed in options", () => {
    const { body } = buildOllamaRequest(
      call({ sampling: { temperature: 0, topP: 0.9, maxOutputTokens: 50, stopSequences: ["\n\n"], seed: 1 } }),
      true,
    );
    expect(body.options).toEqual({ temperature: 0, top_p: 0.9, num_predict: 50, stop: ["\n\n"], seed: 1 });
  });

  it("sends JSON output as format json or as the schema", () => {
    const schema = { type: "object", properties: { city: { type: "string" } } };
    expect(buildOllamaRequest(call({ responseFormat: { type: "json" } }), true).body.format).toBe("json");
    expect(buildOllamaRequest(call({ responseFormat: { type: "json-schema", schema } }), true).body.format).toEqual(schema);
  });

  it("sends image bytes as base64 and drops image URLs with a warning", () => {
    const { body, warnings } = buildOllamaRequest(
      call({
        messages: [
          {
            role: "user",
            parts: [
              { type: "text", text: "What is this?" },
              { type: "image", data: new Uint8Array([1, 2, 3]), mediaType: "image/png" },
              { type: "image", url: "https://example.com/cat.png" },
            ],
          },
        ],
      }),
      true,
    );
    expect(body.messages).toEqual([{ role: "user", content: "What is this?", images: ["AQID"] }]);
    expect(warnings.map((warning) => warning.code)).toEqual(["unsupported-setting"]);
  });
});
