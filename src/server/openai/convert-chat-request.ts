/**
 * An OpenAI chat completion body to the engine's `GatewayRequest`. Types are checked against OpenAI's
 * shapes (chat-completion-request.ts); the body is then written as the contract's `CompleteRequest` and
 * validated by the Connect edge's own `toGatewayRequest`, so both edges obey one set of rules and one
 * copy of them. Its violations name proto fields (`sampling.temperature`); they are renamed to the
 * OpenAI parameter the caller sent (`temperature`) for the error's `param`.
 */
import { create, type MessageInitShape } from "@bufbuild/protobuf";
import type { z } from "zod";
import { CompleteRequestSchema, type CompleteRequest } from "../../../gen/modelgate/v1/completion_pb.js";
import { ResponseFormatType, Role, ToolChoiceMode, type MessageSchema } from "../../../gen/modelgate/v1/content_pb.js";
import { GatewayError, type FieldViolation, type GatewayRequest } from "../../gateway/types.js";
import { toGatewayRequest } from "../convert-request.js";
import { chatCompletionRequestSchema, type ChatCompletionMessage, type ChatCompletionRequest } from "./chat-completion-request.js";

export interface ConvertChatRequestOptions {
  /** `server.maxMessages`. */
  maxMessages: number;
  /** The call's request id (the `x-request-id` header or a generated one). */
  requestId: string;
  /** Whether `requestId` is the caller's (its `x-request-id` header), not a generated one. */
  requestIdFromCaller: boolean;
}

/** A validated chat completion: the engine's request plus what only this edge needs. */
export interface ChatCompletionCall {
  request: GatewayRequest;
  /** The same request as the contract's message (what the caller limits estimate tokens from). */
  contract: CompleteRequest;
  stream: boolean;
  includeUsage: boolean;
  /** Settings the caller sent that the gateway does not honour. */
  ignoredParams: string[];
}

/** ErrorInfo metadata key carrying OpenAI's `error.code` for a refused body. */
export const openAIErrorCodeKey = "openai_code";

/**
 * Validates and converts a parsed JSON body. Throws one `GatewayError("INVALID_REQUEST")` whose first
 * field violation names the OpenAI parameter at fault; never calls anything upstream.
 */
export function toChatCompletionCall(body: unknown, options: ConvertChatRequestOptions): ChatCompletionCall {
  const parsed = chatCompletionRequestSchema.safeParse(body);
  if (!parsed.success) {
    const violations = parsed.error.issues.map(describeIssue);
    throw new GatewayError("INVALID_REQUEST", violations[0].description, {
      fieldViolations: violations,
      metadata: { [openAIErrorCodeKey]: "invalid_type" },
    });
  }
  const chat = parsed.data;
  if (chat.n !== undefined && chat.n !== null && chat.n !== 1) {
    throw new GatewayError("INVALID_REQUEST", `n=${chat.n} is not supported: the gateway returns exactly one choice (n=1)`, {
      fieldViolations: [{ field: "n", description: "only 1 is supported" }],
      metadata: { [openAIErrorCodeKey]: "unsupported_value" },
    });
  }
  let request: GatewayRequest;
  const contract = create(CompleteRequestSchema, toCompleteRequest(chat, options.requestId));
  try {
    request = toGatewayRequest(contract, {
      maxMessages: options.maxMessages,
      generateRequestId: () => options.requestId,
    });
  } catch (error) {
    if (!(error instanceof GatewayError) || error.reason !== "INVALID_REQUEST") throw error;
    const violations = error.fieldViolations.map((violation) => ({ ...violation, field: toOpenAIParam(violation.field, chat) }));
    const first = violations[0];
    throw new GatewayError("INVALID_REQUEST", first === undefined ? error.message : `invalid '${first.field}': ${first.description}`, {
      fieldViolations: violations,
      metadata: { [openAIErrorCodeKey]: "invalid_value" },
    });
  }
  return {
    // The id always reaches toGatewayRequest as the body's: whose it is only this edge knows.
    request: { ...request, requestIdFromCaller: options.requestIdFromCaller },
    contract,
    stream: chat.stream === true,
    includeUsage: chat.stream_options?.include_usage === true,
    ignoredParams: ignoredParamsOf(chat),
  };
}

function ignoredParamsOf(chat: ChatCompletionRequest): string[] {
  const ignored: string[] = [];
  const set = (value: unknown): boolean => value !== undefined && value !== null;
  if (set(chat.frequency_penalty) && chat.frequency_penalty !== 0) ignored.push("frequency_penalty");
  if (set(chat.presence_penalty) && chat.presence_penalty !== 0) ignored.push("presence_penalty");
  if (chat.logit_bias && Object.keys(chat.logit_bias).length > 0) ignored.push("logit_bias");
  if (chat.logprobs === true) ignored.push("logprobs");
  if (set(chat.top_logprobs)) ignored.push("top_logprobs");
  if (chat.parallel_tool_calls === false) ignored.push("parallel_tool_calls");
  return ignored;
}

type CompleteRequestInit = MessageInitShape<typeof CompleteRequestSchema>;
type MessageInit = MessageInitShape<typeof MessageSchema>;

const roles: Record<ChatCompletionMessage["role"], Role> = {
  system: Role.SYSTEM,
  developer: Role.SYSTEM,
  user: Role.USER,
  assistant: Role.ASSISTANT,
  tool: Role.TOOL,
};

function toCompleteRequest(chat: ChatCompletionRequest, requestId: string): CompleteRequestInit {
  // Gemini and Ollama need a tool result's function name, which OpenAI's tool message does not carry:
  // it is the name of the assistant's call with the same id.
  const toolNames = new Map<string, string>();
  const maxOutputTokens = chat.max_completion_tokens ?? chat.max_tokens ?? undefined;
  const stop = chat.stop === undefined || chat.stop === null ? [] : typeof chat.stop === "string" ? [chat.stop] : chat.stop;
  return {
    model: chat.model,
    requestId,
    messages: chat.messages.map((message) => toMessage(message, toolNames)),
    sampling: {
      temperature: chat.temperature ?? undefined,
      topP: chat.top_p ?? undefined,
      maxOutputTokens,
      stopSequences: stop,
      seed: chat.seed === undefined || chat.seed === null ? undefined : BigInt(chat.seed),
    },
    tools: (chat.tools ?? []).map(({ function: definition }) => ({
      name: definition.name,
      description: definition.description ?? "",
      parametersJsonSchema: definition.parameters === undefined ? "" : safeStringify(definition.parameters),
    })),
    toolChoice: toToolChoice(chat.tool_choice),
    responseFormat: toResponseFormat(chat.response_format),
    routing: chat.user === undefined ? undefined : { metadata: { user: chat.user } },
  };
}

function toMessage(message: ChatCompletionMessage, toolNames: Map<string, string>): MessageInit {
  const role = roles[message.role];
  switch (message.role) {
    case "system":
    case "developer":
      return { role, parts: textParts(message.content) };
    case "user":
      return {
        role,
        parts:
          typeof message.content === "string"
            ? [{ part: { case: "text", value: message.content } }]
            : message.content.map((part) =>
                part.type === "text"
                  ? { part: { case: "text", value: part.text } }
                  : { part: { case: "image", value: { source: { case: "url", value: part.image_url.url } } } },
              ),
      };
    case "assistant": {
      const calls = message.tool_calls ?? [];
      for (const call of calls) toolNames.set(call.id, call.function.name);
      const content = message.content;
      const parts =
        content === undefined || content === null || (content === "" && calls.length > 0)
          ? []
          : typeof content === "string"
            ? [{ part: { case: "text" as const, value: content } }]
            : content.map((part) => ({ part: { case: "text" as const, value: part.type === "text" ? part.text : part.refusal } }));
      return {
        role,
        parts,
        toolCalls: calls.map((call) => ({ id: call.id, name: call.function.name, argumentsJson: call.function.arguments })),
      };
    }
    case "tool":
      return { role, parts: textParts(message.content), toolCallId: message.tool_call_id, toolName: toolNames.get(message.tool_call_id) ?? "" };
  }
}

function textParts(content: string | { text: string }[]): MessageInit["parts"] {
  return typeof content === "string"
    ? [{ part: { case: "text", value: content } }]
    : content.map((part) => ({ part: { case: "text", value: part.text } }));
}

function toToolChoice(choice: ChatCompletionRequest["tool_choice"]): CompleteRequestInit["toolChoice"] {
  if (choice === undefined) return undefined;
  if (choice === "none") return { mode: ToolChoiceMode.NONE };
  if (choice === "auto") return { mode: ToolChoiceMode.AUTO };
  if (choice === "required") return { mode: ToolChoiceMode.REQUIRED };
  return { mode: ToolChoiceMode.TOOL, toolName: choice.function.name };
}

function toResponseFormat(format: ChatCompletionRequest["response_format"]): CompleteRequestInit["responseFormat"] {
  if (format === undefined) return undefined;
  switch (format.type) {
    case "text":
      return { type: ResponseFormatType.TEXT };
    case "json_object":
      return { type: ResponseFormatType.JSON };
    case "json_schema": {
      const { name, schema, strict } = format.json_schema;
      // OpenAI allows a json_schema without `schema` (any JSON object): the contract's JSON mode.
      if (schema === undefined) return { type: ResponseFormatType.JSON, schemaName: name };
      return { type: ResponseFormatType.JSON_SCHEMA, jsonSchema: safeStringify(schema), schemaName: name, strict: strict === true };
    }
  }
}

/**
 * JSON text of a parsed body value. The body's nesting was bounded before JSON.parse (read-json-body.ts),
 * so this cannot overflow; an empty text makes the contract's rule name the field if it ever did.
 */
function safeStringify(value: unknown): string {
  try {
    return JSON.stringify(value);
  } catch {
    return "";
  }
}

/** The proto field path of a contract violation, as the OpenAI parameter the caller sent. */
export function toOpenAIParam(field: string, chat: ChatCompletionRequest): string {
  const sampling: Record<string, string> = {
    "sampling.temperature": "temperature",
    "sampling.top_p": "top_p",
    "sampling.seed": "seed",
    "sampling.max_output_tokens": chat.max_completion_tokens !== undefined && chat.max_completion_tokens !== null ? "max_completion_tokens" : "max_tokens",
    "sampling.stop_sequences": "stop",
    request_id: "x-request-id",
    "tool_choice.tool_name": "tool_choice.function.name",
    "tool_choice.mode": "tool_choice",
    "response_format.json_schema": "response_format.json_schema.schema",
    "response_format.type": "response_format.type",
  };
  if (field in sampling) return sampling[field];
  const stop = /^sampling\.stop_sequences\[(\d+)\]$/.exec(field);
  if (stop) return typeof chat.stop === "string" ? "stop" : `stop[${stop[1]}]`;
  const tool = /^tools\[(\d+)\]\.(name|parameters_json_schema)$/.exec(field);
  if (tool) return `tools[${tool[1]}].function.${tool[2] === "name" ? "name" : "parameters"}`;
  const message = /^messages\[(\d+)\]\.(.*)$/.exec(field);
  if (message) {
    const index = Number(message[1]);
    const rest = message[2];
    const call = /^tool_calls\[(\d+)\]\.(id|name|arguments_json)$/.exec(rest);
    if (call) return `messages[${index}].tool_calls[${call[1]}].${call[2] === "id" ? "id" : call[2] === "name" ? "function.name" : "function.arguments"}`;
    const part = /^parts\[(\d+)\](.*)$/.exec(rest);
    const content = chat.messages[index]?.content;
    if (part) {
      if (typeof content === "string") return `messages[${index}].content`;
      return `messages[${index}].content[${part[1]}]${part[2].replace(/^\.image\.url$/, ".image_url.url").replace(/^\.image.*$/, ".image_url")}`;
    }
    if (rest === "parts") return `messages[${index}].content`;
    return `messages[${index}].${rest}`;
  }
  return field;
}

/** One zod issue as a field violation named by OpenAI parameter path, e.g. `messages[0].content`. */
function describeIssue(issue: z.core.$ZodIssue): FieldViolation {
  let path: PropertyKey[] = issue.path;
  let current = issue;
  // A union reports every branch; the branch that got furthest into the value says what is wrong.
  while (current.code === "invalid_union" && current.errors.length > 0) {
    const deepest = current.errors
      .map((branch) => branch[0])
      .filter((branchIssue): branchIssue is z.core.$ZodIssue => branchIssue !== undefined)
      .sort((left, right) => right.path.length - left.path.length)[0];
    if (deepest === undefined || deepest.path.length === 0) break;
    path = [...path, ...deepest.path];
    current = deepest;
  }
  const param = formatPath(path);
  let description: string;
  if (current.code === "invalid_type") description = `Invalid type for '${param}': expected ${current.expected}.`;
  else if (current.code === "invalid_union" && "note" in current && current.note === "No matching discriminator") {
    description = `Invalid value for '${param}': ${current.message.replace(/^Invalid discriminator value\. /, "")}.`;
  } else if (current.code === "invalid_union") description = `Invalid type for '${param}'.`;
  else description = `Invalid value for '${param}': ${current.message}.`;
  return { field: param, description };
}

function formatPath(path: PropertyKey[]): string {
  let text = "";
  for (const key of path) {
    if (typeof key === "number") text += `[${key}]`;
    else text += text === "" ? String(key) : `.${String(key)}`;
  }
  return text;
}
