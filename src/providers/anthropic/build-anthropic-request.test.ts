import { describe, expect, it } from "vitest";
import { ProviderError, type ModelCall } from "../spec.js";
import { buildAnthropicRequest } from "./build-anthropic-request.js";

const timeouts = { connectMs: 1000, firstTokenMs: 1000, idleMs: 1000, totalMs: 1000 };

function call(overrides: Partial<ModelCall> = {}): ModelCall {
  return {
    vendorModel: "claude-sonnet-4-5",
    messages: [{ role: "user", parts: [{ type: "text", text: "Hi" }] }],
    sampling: { stopSequences: [] },
    tools: [],
    timeouts,
    ...overrides,
  };
}

describe("buildAnthropicRequest", () => {
  it("hoists system messages into the top-level system field", () => {
    const { body } = buildAnthropicRequest(
      call({
        messages: [
          { role: "system", parts: [{ type: "text", text: "Be brief." }] },
          { role: "user", parts: [{ type: "text", text: "Hi" }] },
        ],
      }),
      false,
    );
    expect(body.system).toBe("Be brief.");
    expect(body.messages).toEqual([{ role: "user", content: [{ type: "text", text: "Hi" }] }]);
  });

  it("defaults max_tokens to 4096 without a warning", () => {
    const { body, warnings } = buildAnthropicRequest(call(), false);
    expect(body.max_tokens).toBe(4096);
    expect(warnings).toEqual([]);
  });

  it("sends the caller's max output tokens, top_p and stop sequences", () => {
    const { body } = buildAnthropicRequest(
      call({ sampling: { maxOutputTokens: 100, topP: 0.9, stopSequences: ["END"], temperature: 0.5 } }),
      true,
    );
    expect(body).toMatchObject({ max_tokens: 100, top_p: 0.9, stop_sequences: ["END"], temperature: 0.5, stream: true });
  });

  it("clamps a temperature above 1 with a clamped-setting warning", () => {
    const { body, warnings } = buildAnthropicRequest(call({ sampling: { temperature: 1.7, stopSequences: [] } }), false);
    expect(body.temperature).toBe(1);
    expect(warnings).toEqual([{ code: "clamped-setting", message: expect.stringContaining("1.7") as unknown }]);
  });

  it("warns that seed is unsupported and does not send it", () => {
    const { body, warnings } = buildAnthropicRequest(call({ sampling: { seed: 42, stopSequences: [] } }), false);
    expect(body.seed).toBeUndefined();
    expect(warnings.map((warning) => warning.code)).toEqual(["unsupported-setting"]);
  });

  it("converts tool definitions and each tool choice mode", () => {
    const tools = [{ name: "weather", description: "Get weather", parameters: { type: "object", properties: {} } }];
    expect(buildAnthropicRequest(call({ tools }), false).body.tools).toEqual([
      { name: "weather", description: "Get weather", input_schema: { type: "object", properties: {} } },
    ]);
    const choice = (mode: "auto" | "none" | "required" | "tool") =>
      buildAnthropicRequest(call({ tools, toolChoice: { mode, toolName: "weather" } }), false).body.tool_choice;
    expect(choice("auto")).toEqual({ type: "auto" });
    expect(choice("required")).toEqual({ type: "any" });
    expect(choice("none")).toEqual({ type: "none" });
    expect(choice("tool")).toEqual({ type: "tool", name: "weather" });
  });

  it("sends assistant tool calls as tool_use and merges consecutive tool results into one user turn", () => {
    const { body } = buildAnthropicRequest(
      call({
        messages: [
          { role: "user", parts: [{ type: "text", text: "Weather in Paris and Rome?" }] },
          {
            role: "assistant",
            parts: [{ type: "text", text: "Checking." }],
            toolCalls: [
              { id: "toolu_1", name: "weather", argumentsJson: '{"city":"Paris"}' },
              { id: "toolu_2", name: "weather", argumentsJson: "" },
            ],
          },
          { role: "tool", toolCallId: "toolu_1", toolName: "weather", parts: [{ type: "text", text: "18C" }] },
          { role: "tool", toolCallId: "toolu_2", parts: [{ type: "text", text: "24C" }] },
          { role: "user", parts: [{ type: "text", text: "Thanks" }] },
        ],
      }),
      false,
    );
    expect(body.messages).toEqual([
      { role: "user", content: [{ type: "text", text: "Weather in Paris and Rome?" }] },
      {
        role: "assistant",
        content: [
          { type: "text", text: "Checking." },
          { type: "tool_use", id: "toolu_1", name: "weather", input: { city: "Paris" } },
          { type: "tool_use", id: "toolu_2", name: "weather", input: {} },
        ],
      },
      {
        role: "user",
        content: [
          { type: "tool_result", tool_use_id: "toolu_1", content: "18C" },
          { type: "tool_result", tool_use_id: "toolu_2", content: "24C" },
          { type: "text", text: "Thanks" },
        ],
      },
    ]);
  });

  it("sends image URLs and base64 data, and drops data without a media type with a warning", () => {
    const { body, warnings } = buildAnthropicRequest(
      call({
        messages: [
          {
            role: "user",
            parts: [
              { type: "image", url: "https://example.com/cat.png" },
              { type: "image", data: new Uint8Array([1, 2, 3]), mediaType: "image/png" },
              { type: "image", data: new Uint8Array([1, 2, 3]) },
            ],
          },
        ],
      }),
      false,
    );
    expect(body.messages).toEqual([
      {
        role: "user",
        content: [
          { type: "image", source: { type: "url", url: "https://example.com/cat.png" } },
          { type: "image", source: { type: "base64", media_type: "image/png", data: "AQID" } },
        ],
      },
    ]);
    expect(warnings).toHaveLength(1);
  });

  it("asks for JSON through the system prompt, with the schema, and warns that it is not enforced", () => {
    const schema = { type: "object", properties: { answer: { type: "string" } } };
    const { body, warnings } = buildAnthropicRequest(
      call({
        messages: [
          { role: "system", parts: [{ type: "text", text: "Be brief." }] },
          { role: "user", parts: [{ type: "text", text: "Hi" }] },
        ],
        responseFormat: { type: "json-schema", schema },
      }),
      false,
    );
    expect(body.system).toContain("Be brief.");
    expect(body.system).toContain(JSON.stringify(schema));
    expect(warnings.map((warning) => warning.code)).toEqual(["unsupported-setting"]);
  });

  it("rejects a tool message without a call id as invalid-request", () => {
    expect(() =>
      buildAnthropicRequest(call({ messages: [{ role: "tool", parts: [{ type: "text", text: "x" }] }] }), false),
    ).toThrow(ProviderError);
  });
});
