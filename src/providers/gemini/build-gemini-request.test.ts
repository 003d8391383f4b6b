import { describe, expect, it } from "vitest";
import { ProviderError, type ModelCall } from "../spec.js";
import { buildGeminiRequest } from "./build-gemini-request.js";

const timeouts = { connectMs: 1000, firstTokenMs: 1000, idleMs: 1000, totalMs: 1000 };

function call(overrides: Partial<ModelCall> = {}): ModelCall {
  return {
    vendorModel: "gemini-2.5-flash",
    messages: [{ role: "user", parts: [{ type: "text", text: "Hi" }] }],
    sampling: { stopSequences: [] },
    tools: [],
    timeouts,
    ...overrides,
  };
}

const toolHistory: ModelCall["messages"] = [
  { role: "system", parts: [{ type: "text", text: "Be brief." }] },
  { role: "user", parts: [{ type: "text", text: "Weather in Paris and Rome?" }] },
  {
    role: "assistant",
    parts: [],
    toolCalls: [
      { id: "call_0", name: "weather", argumentsJson: '{"city":"Paris"}' },
      { id: "call_1", name: "weather", argumentsJson: '{"city":"Rome"}' },
    ],
  },
  { role: "tool", toolCallId: "call_0", parts: [{ type: "text", text: '{"celsius":18}' }] },
  { role: "tool", toolCallId: "call_1", toolName: "weather", parts: [{ type: "text", text: "24C" }] },
];

describe("buildGeminiRequest", () => {
  it("puts system messages in systemInstruction", () => {
    const { body } = buildGeminiRequest(call({ messages: toolHistory }));
    expect(body.systemInstruction).toEqual({ parts: [{ text: "Be brief." }] });
  });

  it("sends tool calls as functionCall in a model turn and results as functionResponse in one user turn", () => {
    const { body } = buildGeminiRequest(call({ messages: toolHistory }));
    expect(body.contents).toEqual([
      { role: "user", parts: [{ text: "Weather in Paris and Rome?" }] },
      {
        role: "model",
        parts: [
          { functionCall: { name: "weather", args: { city: "Paris" } } },
          { functionCall: { name: "weather", args: { city: "Rome" } } },
        ],
      },
      {
        role: "user",
        parts: [
          { functionResponse: { name: "weather", response: { celsius: 18 } } },
          { functionResponse: { name: "weather", response: { result: "24C" } } },
        ],
      },
    ]);
  });

  it("adds the skip-validator thought signature to the first call of a turn for Gemini 3 models", () => {
    const { body } = buildGeminiRequest(call({ vendorModel: "gemini-3-pro-preview", messages: toolHistory }));
    const modelTurn = (body.contents as { parts: Record<string, unknown>[] }[])[1];
    expect(modelTurn.parts[0].thoughtSignature).toBe("skip_thought_signature_validator");
    expect(modelTurn.parts[1].thoughtSignature).toBeUndefined();
  });

  it("rejects a tool result whose tool name cannot be found", () => {
    expect(() =>
      buildGeminiRequest(call({ messages: [{ role: "tool", toolCallId: "unknown", parts: [{ type: "text", text: "x" }] }] })),
    ).toThrow(ProviderError);
  });

  it("declares tools with parametersJsonSchema and maps each tool choice mode", () => {
    const tools = [{ name: "weather", description: "Get weather", parameters: { type: "object" } }];
    expect(buildGeminiRequest(call({ tools })).body.tools).toEqual([
      { functionDeclarations: [{ name: "weather", description: "Get weather", parametersJsonSchema: { type: "object" } }] },
    ]);
    const config = (mode: "auto" | "none" | "required" | "tool") =>
      buildGeminiRequest(call({ tools, toolChoice: { mode, toolName: "weather" } })).body.toolConfig;
    expect(config("auto")).toEqual({ functionCallingConfig: { mode: "AUTO" } });
    expect(config("none")).toEqual({ functionCallingConfig: { mode: "NONE" } });
    expect(config("required")).toEqual({ functionCallingConfig: { mode: "ANY" } });
    expect(config("tool")).toEqual({ functionCallingConfig: { mode: "ANY", allowedFunctionNames: ["weather"] } });
  });

  it("puts sampling, stop sequences, seed and the output limit in generationConfig without warnings", () => {
    const { body, warnings } = buildGeminiRequest(
      call({ sampling: { temperature: 1.5, topP: 0.8, maxOutputTokens: 64, stopSequences: ["END"], seed: 3 } }),
    );
    expect(body.generationConfig).toEqual({ temperature: 1.5, topP: 0.8, maxOutputTokens: 64, stopSequences: ["END"], seed: 3 });
    expect(warnings).toEqual([]);
  });

  it("asks for JSON with responseMimeType and responseJsonSchema", () => {
    const schema = { type: "object", properties: { city: { type: "string" } } };
    expect(buildGeminiRequest(call({ responseFormat: { type: "json-schema", schema } })).body.generationConfig).toEqual({
      responseMimeType: "application/json",
      responseJsonSchema: schema,
    });
    expect(buildGeminiRequest(call({ responseFormat: { type: "json" } })).body.generationConfig).toEqual({
      responseMimeType: "application/json",
    });
  });

  it("sends image bytes inline and URLs as fileData, dropping an image of unknown type with a warning", () => {
    const { body, warnings } = buildGeminiRequest(
      call({
        messages: [
          {
            role: "user",
            parts: [
              { type: "image", data: new Uint8Array([1, 2, 3]), mediaType: "image/png" },
              { type: "image", url: "https://example.com/cat.jpg?size=large" },
              { type: "image", url: "https://example.com/image" },
            ],
          },
        ],
      }),
    );
    expect(body.contents).toEqual([
      {
        role: "user",
        parts: [
          { inlineData: { mimeType: "image/png", data: "AQID" } },
          { fileData: { mimeType: "image/jpeg", fileUri: "https://example.com/cat.jpg?size=large" } },
        ],
      },
    ]);
    expect(warnings.map((warning) => warning.code)).toEqual(["unsupported-setting"]);
  });
});
