import { describe, expect, it } from "vitest";
import { GatewayError } from "../../gateway/types.js";
import { toChatCompletionCall } from "./convert-chat-request.js";
import { toOpenAIError } from "./openai-error.js";

const options = { maxMessages: 100, requestId: "req-1", requestIdFromCaller: true };
const user = { role: "user", content: "hi" };

function refusal(body: unknown): { status: number; param: string | null; code: string | null } {
  try {
    toChatCompletionCall(body, options);
  } catch (error) {
    const { status, body: errorBody } = toOpenAIError(error);
    return { status, param: errorBody.error.param, code: errorBody.error.code };
  }
  throw new Error("expected a refusal");
}

describe("toChatCompletionCall", () => {
  it("converts OpenAI's sampling, stop, seed and token limit to the core's request", () => {
    const { request } = toChatCompletionCall(
      { model: "chat", messages: [user], temperature: 0.5, top_p: 0.9, stop: "END", seed: 42, max_completion_tokens: 64, max_tokens: 10 },
      options,
    );
    expect(request.sampling).toEqual({ temperature: 0.5, topP: 0.9, stopSequences: ["END"], seed: 42, maxOutputTokens: 64 });
    expect(request.requestId).toBe("req-1");
    expect(request.requestIdFromCaller).toBe(true);
    expect(toChatCompletionCall({ model: "chat", messages: [user] }, { ...options, requestIdFromCaller: false }).request.requestIdFromCaller).toBe(false);
  });

  it("names a tool result's function from the assistant call it answers", () => {
    const { request } = toChatCompletionCall(
      {
        model: "chat",
        messages: [
          user,
          { role: "assistant", content: null, tool_calls: [{ id: "c1", type: "function", function: { name: "lookup", arguments: "{}" } }] },
          { role: "tool", tool_call_id: "c1", content: "42" },
        ],
      },
      options,
    );
    expect(request.messages[1]).toMatchObject({ role: "assistant", parts: [], toolCalls: [{ id: "c1", name: "lookup", argumentsJson: "{}" }] });
    expect(request.messages[2]).toMatchObject({ role: "tool", toolCallId: "c1", toolName: "lookup" });
  });

  it("keeps image parts as URLs, data URLs included", () => {
    const { request } = toChatCompletionCall(
      { model: "chat", messages: [{ role: "user", content: [{ type: "text", text: "what is it" }, { type: "image_url", image_url: { url: "data:image/png;base64,AAAA" } }] }] },
      options,
    );
    expect(request.messages[0].parts[1]).toMatchObject({ type: "image", url: "data:image/png;base64,AAAA" });
  });

  it("refuses a wrong type with OpenAI's param path", () => {
    expect(refusal({ model: "chat", messages: [{ role: "user", content: 5 }] })).toEqual({ status: 400, param: "messages[0].content", code: "invalid_type" });
    expect(refusal({ model: "chat", messages: [user], stop: [1] })).toMatchObject({ param: "stop[0]" });
  });

  it("refuses what the contract refuses, renamed to the OpenAI parameter", () => {
    expect(refusal({ model: "chat", messages: [user], top_p: 2 })).toMatchObject({ status: 400, param: "top_p", code: "invalid_value" });
    expect(refusal({ model: "chat", messages: [user], max_tokens: 0 })).toMatchObject({ param: "max_tokens" });
    expect(refusal({ model: "chat", messages: [user], tools: [{ type: "function", function: { name: "bad name" } }] })).toMatchObject({
      param: "tools[0].function.name",
    });
    expect(refusal({ model: "chat", messages: [{ role: "tool", tool_call_id: "", content: "x" }] })).toMatchObject({ param: "messages[0].tool_call_id" });
    expect(refusal({ model: "chat", messages: [user], tool_choice: { type: "function", function: { name: "missing" } } })).toMatchObject({
      param: "tools",
    });
  });

  it("refuses n other than 1 and accepts n=1", () => {
    expect(refusal({ model: "chat", messages: [user], n: 3 })).toMatchObject({ status: 400, param: "n" });
    expect(toChatCompletionCall({ model: "chat", messages: [user], n: 1 }, options).stream).toBe(false);
  });

  it("ignores unknown fields and names known ones it cannot honour", () => {
    const call = toChatCompletionCall({ model: "chat", messages: [user], frequency_penalty: 0.5, logprobs: true, metadata: { a: "b" }, store: true }, options);
    expect(call.ignoredParams).toEqual(["frequency_penalty", "logprobs"]);
  });
});

describe("toOpenAIError", () => {
  it("maps an upstream 429 to 429 with retry-after in seconds and milliseconds", () => {
    const error = toOpenAIError(new GatewayError("PROVIDER_RATE_LIMITED", "rate limited", { retryAfterMs: 1_500 }));
    expect(error.status).toBe(429);
    expect(error.headers).toMatchObject({ "retry-after": "2", "retry-after-ms": "1500", "x-modelgate-error-reason": "PROVIDER_RATE_LIMITED" });
    expect(error.body.error.type).toBe("rate_limit_error");
  });

  it("hides anything that is not a GatewayError behind a bare 500", () => {
    const error = toOpenAIError(new Error("upstream said sk-secret"));
    expect(error.status).toBe(500);
    expect(JSON.stringify(error.body)).not.toContain("sk-secret");
  });

  it("gives an open breaker 503 and an ineligible request 400", () => {
    expect(toOpenAIError(new GatewayError("NO_ELIGIBLE_DEPLOYMENT", "x", { metadata: { only_breakers: "true" } })).status).toBe(503);
    expect(toOpenAIError(new GatewayError("NO_ELIGIBLE_DEPLOYMENT", "x")).status).toBe(400);
  });
});
