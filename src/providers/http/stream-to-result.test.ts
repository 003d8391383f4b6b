import { describe, expect, it } from "vitest";
import { ProviderError, type StreamPart } from "../spec.js";
import { collectStream } from "./stream-to-result.js";
import { rejectionOf } from "./test-support/create-test-call.js";

async function* partsOf(...parts: StreamPart[]): AsyncGenerator<StreamPart> {
  yield* parts;
}

describe("collectStream", () => {
  it("assembles text, reasoning, interleaved tool calls, warnings and metadata", async () => {
    const result = await collectStream(
      partsOf(
        { type: "warning", warning: { code: "clamped-setting", message: "stop" } },
        { type: "metadata", vendorModel: "m-1", responseId: "r-1" },
        { type: "reasoning-delta", text: "hm" },
        { type: "text-delta", text: "Hel" },
        { type: "text-delta", text: "lo" },
        { type: "tool-call-delta", index: 1, id: "b", name: "second", argumentsDelta: "" },
        { type: "tool-call-delta", index: 0, id: "a", name: "first", argumentsDelta: '{"x"' },
        { type: "tool-call-delta", index: 0, argumentsDelta: ":1}" },
        { type: "finish", finishReason: "tool-calls", rawFinishReason: "tool_calls", usage: { inputTokens: 3 } },
      ),
    );
    expect(result).toEqual({
      text: "Hello",
      reasoning: "hm",
      toolCalls: [
        { id: "a", name: "first", argumentsJson: '{"x":1}' },
        { id: "b", name: "second", argumentsJson: "{}" },
      ],
      finishReason: "tool-calls",
      rawFinishReason: "tool_calls",
      usage: { inputTokens: 3 },
      vendorModel: "m-1",
      responseId: "r-1",
      warnings: [{ code: "clamped-setting", message: "stop" }],
    });
  });

  it("reports a stream without a finish as malformed-response", async () => {
    const error = await rejectionOf(collectStream(partsOf({ type: "text-delta", text: "x" })));
    expect((error as ProviderError).kind).toBe("malformed-response");
  });
});
