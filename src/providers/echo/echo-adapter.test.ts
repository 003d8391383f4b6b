import { describe, expect, it } from "vitest";
import { collectParts, createTestCall, rejectionOf } from "../http/test-support/create-test-call.js";
import { ProviderError } from "../spec.js";
import { createEchoAdapter } from "./echo-adapter.js";

const call = createTestCall({
  vendorModel: "echo",
  messages: [
    { role: "system", parts: [{ type: "text", text: "be nice" }] },
    { role: "user", parts: [{ type: "text", text: "first question" }] },
    { role: "assistant", parts: [{ type: "text", text: "an answer" }] },
    { role: "user", parts: [{ type: "text", text: "say  hello\nworld" }] },
  ],
});

describe("createEchoAdapter", () => {
  it("streams the last user message word by word and counts words as tokens", async () => {
    const parts = await collectParts(createEchoAdapter().stream(call, new AbortController().signal));
    expect(parts).toEqual([
      { type: "metadata", vendorModel: "echo" },
      { type: "text-delta", text: "say " },
      { type: "text-delta", text: "hello " },
      { type: "text-delta", text: "world" },
      { type: "finish", finishReason: "stop", rawFinishReason: "stop", usage: { inputTokens: 9, outputTokens: 3 } },
    ]);
  });

  it("answers a unary call with the same text", async () => {
    const result = await createEchoAdapter().complete(call, new AbortController().signal);
    expect(result).toMatchObject({ text: "say hello world", finishReason: "stop", usage: { inputTokens: 9, outputTokens: 3 } });
  });

  it("stops with canceled when aborted between slow words", async () => {
    const controller = new AbortController();
    const iterator = createEchoAdapter().stream({ ...call, vendorModel: "echo-60000ms" }, controller.signal)[Symbol.asyncIterator]();
    await iterator.next();
    const pending = iterator.next();
    controller.abort();
    const error = await rejectionOf(pending);
    expect(error).toBeInstanceOf(ProviderError);
    expect((error as ProviderError).kind).toBe("canceled");
  });

  it("waits between words when the model name asks for it", async () => {
    const parts = await collectParts(createEchoAdapter().stream({ ...call, vendorModel: "echo-1ms" }, new AbortController().signal));
    expect(parts.filter((part) => part.type === "text-delta")).toHaveLength(3);
  });
});
