import { create } from "@bufbuild/protobuf";
import { describe, expect, it } from "vitest";
import { CompleteRequestSchema } from "../../gen/modelgate/v1/completion_pb.js";
import { ResponseFormatType, Role, ToolChoiceMode } from "../../gen/modelgate/v1/content_pb.js";
import { RoutingStrategy } from "../../gen/modelgate/v1/routing_pb.js";
import { GatewayError } from "../gateway/types.js";
import { isUsableRequestId, jsonDepthExceeds, toGatewayRequest } from "./convert-request.js";

const text = (value: string) => ({ part: { case: "text" as const, value } });
const options = { maxMessages: 10, generateRequestId: () => "generated" };

function violationsOf(init: Parameters<typeof create<typeof CompleteRequestSchema>>[1]): [string, string][] {
  try {
    toGatewayRequest(create(CompleteRequestSchema, init), options);
  } catch (error) {
    if (error instanceof GatewayError) {
      expect(error.reason).toBe("INVALID_REQUEST");
      return error.fieldViolations.map((violation) => [violation.field, violation.description]);
    }
    throw error;
  }
  throw new Error("expected INVALID_REQUEST");
}

describe("toGatewayRequest", () => {
  it("converts a full request", () => {
    const request = toGatewayRequest(
      create(CompleteRequestSchema, {
        model: "chat",
        messages: [
          { role: Role.SYSTEM, parts: [text("be brief")] },
          { role: Role.USER, parts: [text("weather?"), { part: { case: "image", value: { source: { case: "data", value: new Uint8Array([1]) }, mediaType: "image/png" } } }] },
          { role: Role.ASSISTANT, toolCalls: [{ id: "c1", name: "weather", argumentsJson: '{"city":"Oslo"}' }] },
          { role: Role.TOOL, toolCallId: "c1", toolName: "weather", parts: [text("sunny")] },
        ],
        sampling: { temperature: 0.5, topP: 0.9, maxOutputTokens: 100, stopSequences: ["END"], seed: 7n },
        tools: [{ name: "weather", description: "Weather", parametersJsonSchema: '{"type":"object"}' }],
        toolChoice: { mode: ToolChoiceMode.TOOL, toolName: "weather" },
        responseFormat: { type: ResponseFormatType.JSON_SCHEMA, jsonSchema: '{"type":"object"}', schemaName: "answer", strict: true },
        requestId: "mine",
        routing: { strategy: RoutingStrategy.COST, maxCostMicroUsd: 500n, tags: ["t"], metadata: { team: "a" } },
        fallback: { disableFallback: true, maxAttempts: 2 },
      }),
      options,
    );
    expect(request.requestId).toBe("mine");
    expect(request.messages[1].parts[1]).toEqual({ type: "image", data: new Uint8Array([1]), mediaType: "image/png" });
    expect(request.messages[2].toolCalls).toEqual([{ id: "c1", name: "weather", argumentsJson: '{"city":"Oslo"}' }]);
    expect(request.messages[3]).toMatchObject({ role: "tool", toolCallId: "c1", toolName: "weather" });
    expect(request.sampling).toEqual({ temperature: 0.5, topP: 0.9, maxOutputTokens: 100, stopSequences: ["END"], seed: 7 });
    expect(request.tools).toEqual([{ name: "weather", description: "Weather", parameters: { type: "object" } }]);
    expect(request.toolChoice).toEqual({ mode: "tool", toolName: "weather" });
    expect(request.responseFormat).toEqual({ type: "json-schema", schema: { type: "object" }, schemaName: "answer", strict: true });
    expect(request.routing).toEqual({ strategy: "cost", latencySloMs: undefined, maxCostMicroUsd: 500, tags: ["t"], metadata: { team: "a" } });
    expect(request.fallback).toEqual({ disableFallback: true, maxAttempts: 2, continueOnInterruption: false, fallbackOnContentFilter: undefined });
  });

  it("takes the header's request id when the body has none, and generates one otherwise", () => {
    const init = { model: "m", messages: [{ role: Role.USER, parts: [text("hi")] }] };
    expect(toGatewayRequest(create(CompleteRequestSchema, init), { ...options, headerRequestId: "from-header" }).requestId).toBe("from-header");
    expect(toGatewayRequest(create(CompleteRequestSchema, init), options).requestId).toBe("generated");
  });

  it("says whether the request id is the caller's (body or header) or generated", () => {
    const init = { model: "m", messages: [{ role: Role.USER, parts: [text("hi")] }] };
    const fromCaller = (extra: object, body: object = {}) =>
      toGatewayRequest(create(CompleteRequestSchema, { ...init, ...body }), { ...options, ...extra }).requestIdFromCaller;
    expect([fromCaller({}, { requestId: "mine" }), fromCaller({ headerRequestId: "from-header" }), fromCaller({}), fromCaller({ headerRequestId: "bad id" })]).toEqual([
      true,
      true,
      false,
      false,
    ]);
  });

  it("leaves unset sampling fields absent", () => {
    const request = toGatewayRequest(create(CompleteRequestSchema, { model: "m", messages: [{ role: Role.USER, parts: [text("hi")] }] }), options);
    expect(request.sampling).toEqual({ stopSequences: [] });
    expect(request.toolChoice).toBeUndefined();
    expect(request.responseFormat).toBeUndefined();
  });

  it("requires a model and at least one message", () => {
    expect(violationsOf({ model: " " }).map(([field]) => field)).toEqual(["model", "messages"]);
  });

  it("reports every message problem with its path", () => {
    const fields = violationsOf({
      model: "m",
      messages: [
        { role: Role.UNSPECIFIED, parts: [text("x")] },
        { role: Role.TOOL, parts: [text("x")] },
        { role: Role.USER, parts: [{ part: { case: "image", value: {} } }] },
        { role: Role.USER, parts: [{ part: { case: "image", value: { source: { case: "data", value: new Uint8Array([1]) } } } }] },
        { role: Role.USER, parts: [] },
        { role: Role.USER, parts: [text("x")], toolCalls: [{ id: "a", name: "b", argumentsJson: "{}" }] },
        { role: Role.ASSISTANT, toolCalls: [{ id: "", name: "f", argumentsJson: "[1]" }] },
        { role: Role.USER, parts: [{ part: { case: "image", value: { source: { case: "url", value: "ftp://x" } } } }] },
      ],
    }).map(([field]) => field);
    expect(fields).toEqual([
      "messages[0].role",
      "messages[1].tool_call_id",
      "messages[2].parts[0].image",
      "messages[3].parts[0].image.media_type",
      "messages[4].parts",
      "messages[5].tool_calls",
      "messages[6].tool_calls[0].id",
      "messages[6].tool_calls[0].arguments_json",
      "messages[7].parts[0].image.url",
    ]);
  });

  it("enforces the configured maximum number of messages", () => {
    const messages = Array.from({ length: 11 }, () => ({ role: Role.USER, parts: [text("x")] }));
    expect(violationsOf({ model: "m", messages })).toEqual([["messages", "at most 10 messages are allowed, got 11"]]);
  });

  it("checks sampling ranges and stop sequences", () => {
    const fields = violationsOf({
      model: "m",
      messages: [{ role: Role.USER, parts: [text("x")] }],
      sampling: { temperature: -0.1, topP: 1.5, maxOutputTokens: 0, stopSequences: ["a", "b", "c", "d", "e"] },
    }).map(([field]) => field);
    expect(fields).toEqual(["sampling.temperature", "sampling.top_p", "sampling.max_output_tokens", "sampling.stop_sequences"]);
  });

  it("checks tool names, uniqueness, schemas and the tool choice", () => {
    const fields = violationsOf({
      model: "m",
      messages: [{ role: Role.USER, parts: [text("x")] }],
      tools: [
        { name: "ok_tool" },
        { name: "ok_tool" },
        { name: "x".repeat(65) },
        { name: "schema", parametersJsonSchema: "not json" },
        { name: "array", parametersJsonSchema: "[]" },
      ],
      toolChoice: { mode: ToolChoiceMode.TOOL, toolName: "missing" },
    }).map(([field]) => field);
    expect(fields).toEqual([
      "tools[2].name",
      "tools[3].parameters_json_schema",
      "tools[4].parameters_json_schema",
      "tools[1].name",
      "tool_choice.tool_name",
    ]);
  });

  it("refuses a JSON schema nested deeper than 64 levels instead of overflowing the stack later", () => {
    const deep = `${'{"a":'.repeat(50_000)}1${"}".repeat(50_000)}`;
    const fields = violationsOf({
      model: "m",
      messages: [{ role: Role.USER, parts: [text("x")] }],
      tools: [{ name: "deep", parametersJsonSchema: deep }],
      responseFormat: { type: ResponseFormatType.JSON_SCHEMA, jsonSchema: deep },
    });
    expect(fields).toEqual([
      ["tools[0].parameters_json_schema", "must be a JSON Schema object text, nested at most 64 levels deep"],
      ["response_format.json_schema", "must be a JSON Schema object text, nested at most 64 levels deep"],
    ]);
    const shallow = `${'{"a":'.repeat(64)}"{{{{[[[["${"}".repeat(64)}`;
    expect(jsonDepthExceeds(shallow, 64)).toBe(false);
    expect(jsonDepthExceeds(`[${shallow}]`, 64)).toBe(true);
  });

  it("requires a schema for the JSON-schema response format and a short request id", () => {
    const fields = violationsOf({
      model: "m",
      messages: [{ role: Role.USER, parts: [text("x")] }],
      responseFormat: { type: ResponseFormatType.JSON_SCHEMA },
      requestId: "r".repeat(129),
    }).map(([field]) => field);
    expect(fields).toEqual(["response_format.json_schema", "request_id"]);
  });

  it("takes a request id of visible ASCII only, since it goes back as a header", () => {
    for (const requestId of ["日本", "tab\there", "nul\u0000", "two words"]) {
      const fields = violationsOf({ model: "m", messages: [{ role: Role.USER, parts: [text("x")] }], requestId }).map(([field]) => field);
      expect(fields, requestId).toEqual(["request_id"]);
    }
    expect(isUsableRequestId("0f3c6a52-3c1e-4a8e-9d43-6c1d0f1e2b7a")).toBe(true);
    expect(isUsableRequestId("a b")).toBe(false);
  });
});
