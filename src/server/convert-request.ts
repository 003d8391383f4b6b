/**
 * CompleteRequest / StreamCompleteRequest to the engine's `GatewayRequest`, validated strictly before any
 * upstream call: a malformed request costs nothing and the caller learns every problem at once, as
 * `google.rpc.BadRequest` field violations named by proto field path (`messages[2].tool_call_id`).
 */
import { randomUUID } from "node:crypto";
import type { CompleteRequest } from "../../gen/modelgate/v1/completion_pb.js";
import {
  ResponseFormatType,
  Role,
  ToolChoiceMode,
  type ContentPart as ProtoContentPart,
  type Message as ProtoMessage,
  type ResponseFormat as ProtoResponseFormat,
  type ToolCall as ProtoToolCall,
} from "../../gen/modelgate/v1/content_pb.js";
import { RoutingStrategy } from "../../gen/modelgate/v1/routing_pb.js";
import type { StreamCompleteRequest } from "../../gen/modelgate/v1/stream_pb.js";
import { GatewayError, type FieldViolation, type GatewayRequest } from "../gateway/types.js";
import type {
  ChatMessage,
  ContentPart,
  ResponseFormat,
  Role as GatewayRole,
  SamplingSettings,
  ToolCall,
  ToolChoice,
  ToolDefinition,
} from "../providers/spec.js";
import { fromProtoStrategy } from "./convert-route.js";

export interface ConvertRequestOptions {
  /** `server.maxMessages` from the config. */
  maxMessages: number;
  /** The `x-request-id` header, used when the body has no request id (the id is then the caller's). */
  headerRequestId?: string;
  /** Makes a request id when neither body nor header has one; `crypto.randomUUID` by default. */
  generateRequestId?: () => string;
}

/** Longest request id accepted, in characters. */
export const maxRequestIdLength = 128;
/** Most stop sequences accepted. */
export const maxStopSequences = 4;
const toolNamePattern = /^[A-Za-z0-9_-]{1,64}$/;

const roles: Partial<Record<Role, GatewayRole>> = {
  [Role.SYSTEM]: "system",
  [Role.USER]: "user",
  [Role.ASSISTANT]: "assistant",
  [Role.TOOL]: "tool",
};

const toolChoiceModes: Partial<Record<ToolChoiceMode, ToolChoice["mode"]>> = {
  [ToolChoiceMode.AUTO]: "auto",
  [ToolChoiceMode.NONE]: "none",
  [ToolChoiceMode.REQUIRED]: "required",
  [ToolChoiceMode.TOOL]: "tool",
};

/**
 * The characters a request id may hold: visible ASCII, `!` to `~`. The id goes back to the caller in
 * the `x-request-id` header and gRPC metadata, where anything else is refused or mangled (a header
 * value is a Latin-1 byte string without NUL, CR or LF; gRPC's text metadata is printable ASCII).
 */
const requestIdCharacters = /^[\x21-\x7e]+$/;

/** Whether a request id, from a header or the body, is usable as is. */
export function isUsableRequestId(value: string | null | undefined): value is string {
  return typeof value === "string" && value.length > 0 && value.length <= maxRequestIdLength && requestIdCharacters.test(value);
}

/**
 * Validates and converts a completion request. Throws one `GatewayError("INVALID_REQUEST")` listing
 * every violation; never calls anything upstream.
 */
export function toGatewayRequest(
  request: CompleteRequest | StreamCompleteRequest,
  options: ConvertRequestOptions,
): GatewayRequest {
  const violations: FieldViolation[] = [];
  const violate = (field: string, description: string): void => {
    violations.push({ field, description });
  };

  if (request.model.trim() === "") violate("model", "required: an alias, a deployment or provider/vendor-model");

  if (request.messages.length === 0) violate("messages", "at least one message is required");
  if (request.messages.length > options.maxMessages) {
    violate("messages", `at most ${options.maxMessages} messages are allowed, got ${request.messages.length}`);
  }
  const messages = request.messages.map((message, index) => convertMessage(message, `messages[${index}]`, violate));

  const sampling = convertSampling(request, violate);
  const tools = request.tools.map((tool, index) => convertTool(tool, index, violate));
  const seen = new Set<string>();
  request.tools.forEach((tool, index) => {
    if (seen.has(tool.name)) violate(`tools[${index}].name`, `duplicate tool name "${tool.name}"`);
    seen.add(tool.name);
  });
  const toolChoice = convertToolChoice(request, seen, violate);
  const responseFormat = convertResponseFormat(request.responseFormat, violate);

  if (request.requestId.length > maxRequestIdLength) {
    violate("request_id", `at most ${maxRequestIdLength} characters, got ${request.requestId.length}`);
  } else if (request.requestId !== "" && !requestIdCharacters.test(request.requestId)) {
    violate("request_id", "only visible ASCII characters (! to ~): it is sent back as a header");
  }

  const routing = request.routing;
  let strategy: GatewayRequest["routing"]["strategy"];
  if (routing && routing.strategy !== RoutingStrategy.UNSPECIFIED) {
    strategy = fromProtoStrategy(routing.strategy);
    if (strategy === undefined) violate("routing.strategy", `unknown strategy ${routing.strategy}`);
  }
  if (routing?.latencySloMs !== undefined && routing.latencySloMs <= 0) {
    violate("routing.latency_slo_ms", "must be positive");
  }
  if (routing?.maxCostMicroUsd !== undefined && routing.maxCostMicroUsd < 0n) {
    violate("routing.max_cost_micro_usd", "must not be negative");
  }
  const fallback = request.fallback;
  if (fallback?.maxAttempts !== undefined && fallback.maxAttempts < 1) {
    violate("fallback.max_attempts", "must be at least 1");
  }

  if (violations.length > 0) {
    const summary = violations.length === 1 ? `${violations[0].field}: ${violations[0].description}` : `${violations.length} invalid fields`;
    throw new GatewayError("INVALID_REQUEST", `invalid request: ${summary}`, { fieldViolations: violations });
  }

  const requestIdFromCaller = request.requestId !== "" || isUsableRequestId(options.headerRequestId);
  const requestId =
    request.requestId !== ""
      ? request.requestId
      : isUsableRequestId(options.headerRequestId)
        ? options.headerRequestId
        : (options.generateRequestId ?? randomUUID)();

  return {
    model: request.model.trim(),
    messages,
    sampling,
    tools,
    toolChoice,
    responseFormat,
    requestId,
    requestIdFromCaller,
    routing: {
      strategy,
      latencySloMs: routing?.latencySloMs,
      maxCostMicroUsd: routing?.maxCostMicroUsd === undefined ? undefined : Number(routing.maxCostMicroUsd),
      tags: routing ? [...routing.tags] : [],
      metadata: routing ? { ...routing.metadata } : {},
    },
    fallback: {
      disableFallback: fallback?.disableFallback ?? false,
      maxAttempts: fallback?.maxAttempts,
      continueOnInterruption: fallback?.continueOnInterruption ?? false,
      fallbackOnContentFilter: fallback?.fallbackOnContentFilter,
    },
    cache: request.cache,
    resumeAfterPosition: "resumeAfterPosition" in request ? request.resumeAfterPosition : undefined,
  };
}

type Violate = (field: string, description: string) => void;

function convertMessage(message: ProtoMessage, path: string, violate: Violate): ChatMessage {
  const role = roles[message.role];
  if (role === undefined) violate(`${path}.role`, "required: system, user, assistant or tool");
  if (message.role === Role.TOOL && message.toolCallId === "") {
    violate(`${path}.tool_call_id`, "required for tool messages: the id of the call this result answers");
  }
  if (message.toolCalls.length > 0 && message.role !== Role.ASSISTANT) {
    violate(`${path}.tool_calls`, "only assistant messages carry tool calls");
  }
  if (message.parts.length === 0 && message.toolCalls.length === 0) {
    violate(`${path}.parts`, message.role === Role.ASSISTANT ? "an assistant message needs parts or tool calls" : "at least one part is required");
  }
  const parts = message.parts.map((part, index) => convertPart(part, `${path}.parts[${index}]`, violate));
  const toolCalls = message.toolCalls.map((call, index) => convertToolCall(call, `${path}.tool_calls[${index}]`, violate));
  const converted: ChatMessage = { role: role ?? "user", parts };
  if (toolCalls.length > 0) converted.toolCalls = toolCalls;
  if (message.toolCallId !== "") converted.toolCallId = message.toolCallId;
  if (message.toolName !== "") converted.toolName = message.toolName;
  return converted;
}

function convertPart(part: ProtoContentPart, path: string, violate: Violate): ContentPart {
  switch (part.part.case) {
    case "text":
      return { type: "text", text: part.part.value };
    case "image": {
      const image = part.part.value;
      const source = image.source;
      if (source.case === "url") {
        if (!/^(https?:|data:)/i.test(source.value)) violate(`${path}.image.url`, "must be an http(s) or data: URL");
        return { type: "image", url: source.value, mediaType: image.mediaType || undefined };
      }
      if (source.case === "data") {
        if (source.value.byteLength === 0) violate(`${path}.image.data`, "must not be empty");
        if (image.mediaType === "") violate(`${path}.image.media_type`, "required with data, e.g. image/png");
        return { type: "image", data: source.value, mediaType: image.mediaType };
      }
      violate(`${path}.image`, "set url or data");
      return { type: "image" };
    }
    default:
      violate(path, "set text or image");
      return { type: "text", text: "" };
  }
}

function convertToolCall(call: ProtoToolCall, path: string, violate: Violate): ToolCall {
  if (call.id === "") violate(`${path}.id`, "required");
  if (call.name === "") violate(`${path}.name`, "required");
  const argumentsJson = call.argumentsJson === "" ? "{}" : call.argumentsJson;
  if (parseJsonObject(argumentsJson) === undefined) violate(`${path}.arguments_json`, "must be a JSON object text");
  return { id: call.id, name: call.name, argumentsJson };
}

function convertSampling(request: CompleteRequest | StreamCompleteRequest, violate: Violate): SamplingSettings {
  const sampling = request.sampling;
  if (!sampling) return { stopSequences: [] };
  const { temperature, topP, maxOutputTokens, seed } = sampling;
  if (temperature !== undefined && !(Number.isFinite(temperature) && temperature >= 0 && temperature <= 2)) {
    violate("sampling.temperature", "must be between 0 and 2");
  }
  if (topP !== undefined && !(Number.isFinite(topP) && topP >= 0 && topP <= 1)) {
    violate("sampling.top_p", "must be between 0 and 1");
  }
  if (maxOutputTokens !== undefined && maxOutputTokens < 1) violate("sampling.max_output_tokens", "must be positive");
  if (sampling.stopSequences.length > maxStopSequences) {
    violate("sampling.stop_sequences", `at most ${maxStopSequences} stop sequences, got ${sampling.stopSequences.length}`);
  }
  sampling.stopSequences.forEach((stop, index) => {
    if (stop === "") violate(`sampling.stop_sequences[${index}]`, "must not be empty");
  });
  if (seed !== undefined && (seed > BigInt(Number.MAX_SAFE_INTEGER) || seed < BigInt(Number.MIN_SAFE_INTEGER))) {
    violate("sampling.seed", "must be within ±2^53");
  }
  return {
    temperature,
    topP,
    maxOutputTokens,
    stopSequences: [...sampling.stopSequences],
    seed: seed === undefined ? undefined : Number(seed),
  };
}

function convertTool(tool: CompleteRequest["tools"][number], index: number, violate: Violate): ToolDefinition {
  if (!toolNamePattern.test(tool.name)) {
    violate(`tools[${index}].name`, "1 to 64 letters, digits, underscores or dashes");
  }
  let parameters: Record<string, unknown> = { type: "object", properties: {} };
  if (tool.parametersJsonSchema !== "") {
    const parsed = parseJsonObject(tool.parametersJsonSchema);
    if (parsed === undefined) violate(`tools[${index}].parameters_json_schema`, jsonObjectRule);
    else parameters = parsed;
  }
  const definition: ToolDefinition = { name: tool.name, parameters };
  if (tool.description !== "") definition.description = tool.description;
  return definition;
}

function convertToolChoice(
  request: CompleteRequest | StreamCompleteRequest,
  toolNames: Set<string>,
  violate: Violate,
): ToolChoice | undefined {
  const choice = request.toolChoice;
  if (!choice || choice.mode === ToolChoiceMode.UNSPECIFIED) {
    if (choice && choice.toolName !== "") violate("tool_choice.mode", "set TOOL_CHOICE_MODE_TOOL to name a tool");
    return undefined;
  }
  const mode = toolChoiceModes[choice.mode];
  if (mode === undefined) {
    violate("tool_choice.mode", `unknown mode ${choice.mode}`);
    return undefined;
  }
  if ((mode === "required" || mode === "tool") && request.tools.length === 0) {
    violate("tools", `required when tool_choice.mode is ${mode}`);
  }
  if (mode === "tool") {
    if (choice.toolName === "") violate("tool_choice.tool_name", "required with TOOL_CHOICE_MODE_TOOL");
    else if (!toolNames.has(choice.toolName)) violate("tool_choice.tool_name", `no tool named "${choice.toolName}" in tools`);
    return { mode, toolName: choice.toolName };
  }
  return { mode };
}

function convertResponseFormat(format: ProtoResponseFormat | undefined, violate: Violate): ResponseFormat | undefined {
  if (!format) return undefined;
  switch (format.type) {
    case ResponseFormatType.UNSPECIFIED:
      if (format.jsonSchema !== "") violate("response_format.type", "set RESPONSE_FORMAT_TYPE_JSON_SCHEMA to use json_schema");
      return undefined;
    case ResponseFormatType.TEXT:
      return { type: "text" };
    case ResponseFormatType.JSON:
      return { type: "json" };
    case ResponseFormatType.JSON_SCHEMA: {
      let schema: Record<string, unknown> | undefined;
      if (format.jsonSchema === "") violate("response_format.json_schema", "required with RESPONSE_FORMAT_TYPE_JSON_SCHEMA");
      else {
        schema = parseJsonObject(format.jsonSchema);
        if (schema === undefined) violate("response_format.json_schema", jsonObjectRule);
      }
      return { type: "json-schema", schema, schemaName: format.schemaName || undefined, strict: format.strict };
    }
    default:
      violate("response_format.type", `unknown type ${format.type}`);
      return undefined;
  }
}

/** Deeper JSON would overflow the stack of every recursive walk after it (JSON.stringify included). */
const maxJsonDepth = 64;
const jsonObjectRule = `must be a JSON Schema object text, nested at most ${maxJsonDepth} levels deep`;

function parseJsonObject(text: string): Record<string, unknown> | undefined {
  if (jsonDepthExceeds(text, maxJsonDepth)) return undefined;
  try {
    const value: unknown = JSON.parse(text);
    return value !== null && typeof value === "object" && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** Whether `text` opens more than `limit` nested objects or arrays, counted in one pass outside strings. */
export function jsonDepthExceeds(text: string, limit: number): boolean {
  let depth = 0;
  let inString = false;
  for (let index = 0; index < text.length; index++) {
    const code = text.charCodeAt(index);
    if (inString) {
      if (code === 0x5c) index++; // backslash: skip the escaped character
      else if (code === 0x22) inString = false;
    } else if (code === 0x22) {
      inString = true;
    } else if (code === 0x7b || code === 0x5b) {
      if (++depth > limit) return true;
    } else if (code === 0x7d || code === 0x5d) {
      depth--;
    }
  }
  return false;
}
