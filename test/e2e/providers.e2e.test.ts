/**
 * Issue 3's "done means", end to end: for every provider kind, a real grpc-js client against the real
 * gateway, upstream the vendor simulator speaking that vendor's wire protocol. Unary and streamed
 * completions, a tool-call round trip (the history we send back must reach the vendor in the vendor's
 * own shape), a 429 with Retry-After, a stream cut after content, and the configured key (a canary)
 * never showing up in anything the client or the log sees.
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { status as GrpcStatus } from "@grpc/grpc-js";
import { FinishReason } from "../../gen/modelgate/v1/completion_pb.js";
import { Role } from "../../gen/modelgate/v1/content_pb.js";
import { startSimulator, type Simulator, type Vendor } from "../../src/simulator/index.js";
import {
  eventKinds,
  eventOf,
  startGateway,
  streamedText,
  userText,
  visibleStatusText,
  type CallStatus,
  type E2EGateway,
} from "./harness.js";

/** The configured apiKey of every provider: it must never reach a client or a log line. */
const CANARY = "sk-canary-e2e-5b7d1c9a3f0e";

interface ProviderCase {
  kind: "openai" | "anthropic" | "gemini" | "ollama" | "openai-compatible";
  vendor: Vendor;
  model: string;
  /** The vendor's own finish reason for a normal stop. */
  rawStop: string;
}

const CASES: ProviderCase[] = [
  { kind: "openai", vendor: "openai", model: "sim-gpt", rawStop: "stop" },
  { kind: "anthropic", vendor: "anthropic", model: "sim-claude", rawStop: "end_turn" },
  { kind: "gemini", vendor: "gemini", model: "sim-gemini", rawStop: "STOP" },
  { kind: "ollama", vendor: "ollama", model: "sim-llama", rawStop: "stop" },
  { kind: "openai-compatible", vendor: "openai", model: "sim-compat", rawStop: "stop" },
];

const WEATHER_TOOL = {
  name: "get_weather",
  description: "Current weather for a city.",
  parametersJsonSchema: JSON.stringify({
    type: "object",
    properties: { city: { type: "string" } },
    required: ["city"],
  }),
};
const TOOL_RESULT = JSON.stringify({ temperature_c: 21, sky: "clear" });

type Json = Record<string, unknown>;
const asList = (value: unknown): Json[] => (Array.isArray(value) ? (value as Json[]) : []);

/** Checks the second request's history arrived in the vendor's own shape; returns nothing, throws on mismatch. */
function expectVendorToolHistory(vendor: Vendor, body: Json, callId: string): void {
  switch (vendor) {
    case "openai": {
      const messages = asList(body.messages);
      expect(messages.map((m) => m.role)).toEqual(["user", "assistant", "tool"]);
      const calls = asList(messages[1].tool_calls);
      expect(calls).toHaveLength(1);
      expect(calls[0]).toMatchObject({ id: callId, type: "function", function: { name: "get_weather" } });
      const fn = calls[0].function as Json;
      expect(JSON.parse(String(fn.arguments))).toEqual({ city: "Paris" });
      expect(messages[2]).toMatchObject({ role: "tool", tool_call_id: callId });
      expect(JSON.stringify(messages[2].content)).toContain("temperature_c");
      expect(asList(body.tools)[0]).toMatchObject({ type: "function", function: { name: "get_weather" } });
      return;
    }
    case "anthropic": {
      const messages = asList(body.messages);
      expect(messages.map((m) => m.role)).toEqual(["user", "assistant", "user"]);
      const useBlocks = asList(messages[1].content).filter((b) => b.type === "tool_use");
      expect(useBlocks).toEqual([expect.objectContaining({ id: callId, name: "get_weather", input: { city: "Paris" } })]);
      const resultBlocks = asList(messages[2].content).filter((b) => b.type === "tool_result");
      expect(resultBlocks).toHaveLength(1);
      expect(resultBlocks[0].tool_use_id).toBe(callId);
      expect(JSON.stringify(resultBlocks[0].content)).toContain("temperature_c");
      expect(asList(body.tools)[0]).toMatchObject({ name: "get_weather", input_schema: { type: "object" } });
      return;
    }
    case "gemini": {
      const contents = asList(body.contents);
      expect(contents.map((c) => c.role)).toEqual(["user", "model", "user"]);
      const callParts = asList(contents[1].parts).filter((p) => p.functionCall !== undefined);
      expect(callParts).toHaveLength(1);
      expect(callParts[0].functionCall).toMatchObject({ name: "get_weather", args: { city: "Paris" } });
      const responseParts = asList(contents[2].parts).filter((p) => p.functionResponse !== undefined);
      expect(responseParts).toHaveLength(1);
      const response = responseParts[0].functionResponse as Json;
      expect(response.name).toBe("get_weather");
      expect(typeof response.response).toBe("object");
      expect(JSON.stringify(response.response)).toContain("temperature_c");
      const declarations = asList(asList(body.tools)[0]?.functionDeclarations);
      expect(declarations[0]).toMatchObject({ name: "get_weather" });
      return;
    }
    case "ollama": {
      const messages = asList(body.messages);
      expect(messages.map((m) => m.role)).toEqual(["user", "assistant", "tool"]);
      const calls = asList(messages[1].tool_calls);
      expect(calls).toHaveLength(1);
      // Ollama takes arguments as an object, not a JSON string.
      expect(calls[0].function).toMatchObject({ name: "get_weather", arguments: { city: "Paris" } });
      expect(messages[2]).toMatchObject({ role: "tool", tool_name: "get_weather" });
      expect(String(messages[2].content)).toContain("temperature_c");
      expect(asList(body.tools)[0]).toMatchObject({ type: "function", function: { name: "get_weather" } });
      return;
    }
  }
}

function expectNoSecret(status: CallStatus, gateway: E2EGateway): void {
  expect(visibleStatusText(status)).not.toContain(CANARY);
  expect(visibleStatusText(status)).not.toContain(CANARY.slice(0, 12));
  expect(gateway.logLines.join("")).not.toContain(CANARY);
}

describe("every provider end to end through grpc-js", () => {
  let sim: Simulator;
  beforeAll(async () => {
    sim = await startSimulator({ port: 0 });
  });
  afterAll(async () => {
    await sim?.close();
  });

  describe.each(CASES)("$kind", (c) => {
    const deployment = `d-${c.kind}`;
    let gateway: E2EGateway;

    beforeEach(async () => {
      sim.reset();
      gateway = await startGateway(
        {
          providers: { [`p-${c.kind}`]: { kind: c.kind, baseUrl: sim.baseUrl(c.vendor), apiKey: CANARY } },
          deployments: { [deployment]: { provider: `p-${c.kind}`, model: c.model } },
          aliases: { chat: { tiers: [[deployment]] } },
          routing: { retry: { maxRetriesPerDeployment: 0 } },
        },
        { captureLogs: true },
      );
    });
    afterEach(async () => {
      await gateway?.close();
    });

    it("answers a unary completion with text, usage and finish reason", async () => {
      sim.program({ model: c.model, behavior: { text: "Paris is the capital of France.", usage: { inputTokens: 12, outputTokens: 7 } } });
      const { response, status } = await gateway.client.complete({ model: "chat", messages: [userText("Capital of France?")] });
      expect(status.code, status.message).toBe(GrpcStatus.OK);
      expect(response?.text).toBe("Paris is the capital of France.");
      expect(response?.finishReason).toBe(FinishReason.STOP);
      expect(response?.rawFinishReason).toBe(c.rawStop);
      expect(response?.usage?.inputTokens).toBe(12);
      expect(response?.usage?.outputTokens).toBe(7);
      expect(response?.route?.deployment).toBe(deployment);
      expect(sim.requests).toHaveLength(1);
      expect(sim.requests[0]).toMatchObject({ vendor: c.vendor, model: c.model, stream: false });
    });

    it("streams a completion: start names the deployment, finish carries usage and finish reason", async () => {
      sim.program({
        model: c.model,
        behavior: { text: "Paris is the capital of France.", usage: { inputTokens: 12, outputTokens: 7 }, tokenIntervalMs: 2 },
      });
      const { events, status } = await gateway.client.stream({ model: "chat", messages: [userText("Capital of France?")] });
      expect(status.code, status.message).toBe(GrpcStatus.OK);
      const kinds = eventKinds(events);
      expect(kinds[0]).toBe("start");
      expect(kinds.at(-1)).toBe("finish");
      expect(kinds.filter((k) => k === "finish")).toHaveLength(1);
      expect(eventOf(events, "start")?.deployment).toBe(deployment);
      expect(eventOf(events, "start")?.provider).toBe(`p-${c.kind}`);
      expect(streamedText(events)).toBe("Paris is the capital of France.");
      const finish = eventOf(events, "finish");
      expect(finish?.finishReason).toBe(FinishReason.STOP);
      expect(finish?.rawFinishReason).toBe(c.rawStop);
      expect(finish?.usage?.inputTokens).toBe(12);
      expect(finish?.usage?.outputTokens).toBe(7);
      expect(finish?.usage?.partial).toBe(false);
      expect(sim.requests).toHaveLength(1);
      expect(sim.requests[0]).toMatchObject({ vendor: c.vendor, model: c.model, stream: true });
    });

    it("round-trips a tool call: the history we send back reaches the vendor in its own shape", async () => {
      // Newest rule first: the tool call answers the first request, the text the second.
      sim.program({ model: c.model, times: 1, behavior: { text: "It is 21 °C and clear in Paris." } });
      sim.program({ model: c.model, times: 1, behavior: { toolCalls: [{ name: "get_weather", arguments: { city: "Paris" } }] } });

      const question = userText("What is the weather in Paris?");
      const first = await gateway.client.stream({ model: "chat", messages: [question], tools: [WEATHER_TOOL] });
      expect(first.status.code, first.status.message).toBe(GrpcStatus.OK);
      expect(eventKinds(first.events)).toContain("toolCallDelta");
      const finish = eventOf(first.events, "finish");
      expect(finish?.finishReason).toBe(FinishReason.TOOL_CALLS);
      expect(finish?.toolCalls).toHaveLength(1);
      const call = finish!.toolCalls[0];
      expect(call.name).toBe("get_weather");
      expect(JSON.parse(call.argumentsJson)).toEqual({ city: "Paris" });
      expect(call.id).not.toBe("");

      const second = await gateway.client.complete({
        model: "chat",
        tools: [WEATHER_TOOL],
        messages: [
          question,
          { role: Role.ASSISTANT, toolCalls: [{ id: call.id, name: call.name, argumentsJson: call.argumentsJson }] },
          { role: Role.TOOL, toolCallId: call.id, toolName: call.name, parts: [{ part: { case: "text", value: TOOL_RESULT } }] },
        ],
      });
      expect(second.status.code, second.status.message).toBe(GrpcStatus.OK);
      expect(second.response?.text).toBe("It is 21 °C and clear in Paris.");
      expect(sim.requests).toHaveLength(2);
      expectVendorToolHistory(c.vendor, sim.requests[1].body as Json, call.id);
    });

    it("returns the tool call whole from a unary completion", async () => {
      sim.program({ model: c.model, behavior: { toolCalls: [{ name: "get_weather", arguments: { city: "Paris" } }] } });
      const { response, status } = await gateway.client.complete({
        model: "chat",
        messages: [userText("What is the weather in Paris?")],
        tools: [WEATHER_TOOL],
      });
      expect(status.code, status.message).toBe(GrpcStatus.OK);
      expect(response?.finishReason).toBe(FinishReason.TOOL_CALLS);
      expect(response?.toolCalls).toHaveLength(1);
      expect(response?.toolCalls[0].name).toBe("get_weather");
      expect(response?.toolCalls[0].id).not.toBe("");
      expect(JSON.parse(response?.toolCalls[0].argumentsJson ?? "null")).toEqual({ city: "Paris" });
    });

    it("turns a 429 with Retry-After: 7 into UNAVAILABLE, PROVIDER_RATE_LIMITED and RetryInfo 7 s", async () => {
      sim.program({ model: c.model, behavior: { fault: { kind: "status", status: 429, retryAfter: "7" } } });
      const request = { model: "chat", messages: [userText("Hello")], fallback: { disableFallback: true } };
      const unary = await gateway.client.complete(request);
      const streamed = await gateway.client.stream(request);
      expect(streamed.events).toHaveLength(0);
      for (const { status } of [unary, streamed]) {
        expect(status.code, status.message).toBe(GrpcStatus.UNAVAILABLE);
        expect(status.details.errorInfo?.domain).toBe("modelgate");
        expect(status.details.errorInfo?.reason).toBe("PROVIDER_RATE_LIMITED");
        expect(status.details.retryInfo?.retryDelay?.seconds).toBe(7n);
        expect(status.details.retryInfo?.retryDelay?.nanos ?? 0).toBe(0);
        expectNoSecret(status, gateway);
      }
      expect(sim.requests).toHaveLength(2);
    });

    it("ends a stream cut after content with a non-OK status, never OK", async () => {
      sim.program({ model: c.model, behavior: { text: "one two three four five six", fault: { kind: "cut-after", events: 2 } } });
      const { events, status } = await gateway.client.stream({
        model: "chat",
        messages: [userText("Count")],
        fallback: { disableFallback: true },
      });
      expect(streamedText(events).length).toBeGreaterThan(0);
      expect(eventKinds(events)).not.toContain("finish");
      expect(status.code).not.toBe(GrpcStatus.OK);
      expect(status.code, status.message).toBe(GrpcStatus.UNAVAILABLE);
      expect(status.details.errorInfo?.reason).toBe("PROVIDER_STREAM_INTERRUPTED");
      expectNoSecret(status, gateway);
    });

    it("never shows the provider key, even when the vendor's error body echoes it", async () => {
      const statuses: CallStatus[] = [];
      for (const fault of [
        { kind: "status" as const, status: 401, message: `Incorrect API key provided: ${CANARY}.` },
        { kind: "status" as const, status: 500, message: `upstream failure for key ${CANARY}` },
        { kind: "status" as const, status: 400, message: `bad request (key=${CANARY})` },
      ]) {
        sim.program({ model: c.model, times: 2, behavior: { fault } });
        statuses.push((await gateway.client.complete({ model: "chat", messages: [userText("Hi")] })).status);
        statuses.push((await gateway.client.stream({ model: "chat", messages: [userText("Hi")] })).status);
      }
      for (const status of statuses) {
        expect(status.code).not.toBe(GrpcStatus.OK);
        expectNoSecret(status, gateway);
      }
      // The check is not vacuous: the key did go upstream (the simulator stores only its length)
      // and the gateway did log these failures.
      if (c.kind !== "ollama") {
        const keyHeaders = new Set([`[redacted:${CANARY.length}]`, `[redacted:${"Bearer ".length + CANARY.length}]`]);
        expect(Object.values(sim.requests[0].headers).some((value) => keyHeaders.has(value))).toBe(true);
      }
      expect(gateway.logLines.length).toBeGreaterThan(0);
    });
  });
});
