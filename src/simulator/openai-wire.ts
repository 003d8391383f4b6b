/**
 * OpenAI Chat Completions shapes, as recorded in fixtures/providers/openai/: pretty-printed JSON bodies
 * (2-space, trailing newline), SSE `data: {json}\n\n` chunks ending in `data: [DONE]`, tool-call
 * arguments streamed as string fragments, and the `choices: []` usage chunk only with
 * `stream_options.include_usage`. Azure deployments use the same shapes.
 */
import type { Reply } from "./behavior.js";
import type { StreamResponse, UnaryResponse, VendorWire, WireContext, WireEvent, WireErrorOptions } from "./wire.js";
import { promptOfMessages } from "./wire.js";

const STREAM_CONTENT_TYPE = "text/event-stream; charset=utf-8";
const JSON_CONTENT_TYPE = "application/json";

interface Identity {
  id: string;
  created: number;
  fingerprint: string;
}

function identity(context: WireContext): Identity {
  return {
    id: `chatcmpl-${context.ids.next(29)}`,
    created: Math.floor(context.receivedAt / 1000),
    fingerprint: `fp_${context.ids.next(10, "0123456789abcdef")}`,
  };
}

function headers(context: WireContext, contentType: string): Record<string, string> {
  return {
    "content-type": contentType,
    "x-request-id": `req_${context.ids.next(32, "0123456789abcdef")}`,
    "openai-version": "2020-10-01",
    "openai-processing-ms": "1",
    "x-ratelimit-limit-requests": "10000",
    "x-ratelimit-remaining-requests": "9999",
    "x-ratelimit-reset-requests": "6ms",
    "x-ratelimit-limit-tokens": "30000000",
    "x-ratelimit-remaining-tokens": "29999990",
    "x-ratelimit-reset-tokens": "0s",
  };
}

function usageOf(reply: Reply): Record<string, unknown> | undefined {
  const usage = reply.usage;
  if (usage === undefined) return undefined;
  return {
    prompt_tokens: usage.inputTokens,
    completion_tokens: usage.outputTokens,
    total_tokens: usage.inputTokens + usage.outputTokens,
    prompt_tokens_details: { cached_tokens: usage.cachedInputTokens, audio_tokens: 0 },
    completion_tokens_details: {
      reasoning_tokens: usage.reasoningTokens,
      audio_tokens: 0,
      accepted_prediction_tokens: 0,
      rejected_prediction_tokens: 0,
    },
  };
}

function finishReasonOf(reply: Reply): string {
  return reply.finishReason ?? (reply.toolCalls.length > 0 ? "tool_calls" : "stop");
}

function callIds(reply: Reply, context: WireContext): string[] {
  return reply.toolCalls.map((call) => call.id ?? `call_${context.ids.next(24)}`);
}

function unary(reply: Reply, context: WireContext): UnaryResponse {
  const who = identity(context);
  const ids = callIds(reply, context);
  const message: Record<string, unknown> = {
    role: "assistant",
    content: reply.text === "" && reply.toolCalls.length > 0 ? null : reply.text,
  };
  if (reply.toolCalls.length > 0) {
    message.tool_calls = reply.toolCalls.map((call, index) => ({
      id: ids[index],
      type: "function",
      function: { name: call.name, arguments: call.argumentsJson },
    }));
  }
  message.refusal = null;
  message.annotations = [];
  const body: Record<string, unknown> = {
    id: who.id,
    object: "chat.completion",
    created: who.created,
    model: context.model,
    choices: [{ index: 0, message, logprobs: null, finish_reason: finishReasonOf(reply) }],
    usage: usageOf(reply),
    service_tier: "default",
    system_fingerprint: who.fingerprint,
  };
  return { status: 200, headers: headers(context, JSON_CONTENT_TYPE), body: `${JSON.stringify(body, null, 2)}\n` };
}

function stream(reply: Reply, context: WireContext): StreamResponse {
  const who = identity(context);
  const ids = callIds(reply, context);
  const options = (context.body.stream_options ?? {}) as { include_usage?: unknown; include_obfuscation?: unknown };
  const includeUsage = options.include_usage === true;
  const obfuscate = options.include_obfuscation !== false;
  let sequence = 0;
  const chunk = (choices: unknown[], usage?: unknown): string => {
    const payload: Record<string, unknown> = {
      id: who.id,
      object: "chat.completion.chunk",
      created: who.created,
      model: context.model,
      service_tier: "default",
      system_fingerprint: who.fingerprint,
      choices,
    };
    if (includeUsage) payload.usage = usage ?? null;
    // Real chunks carry random padding so that chunk sizes do not leak token lengths.
    if (obfuscate) payload.obfuscation = "abcdefghijklmn".slice(0, (sequence++ * 7) % 15);
    return `data: ${JSON.stringify(payload)}\n\n`;
  };
  const choice = (delta: unknown, finishReason: string | null = null): unknown[] => [
    { index: 0, delta, logprobs: null, finish_reason: finishReason },
  ];
  const textFirst = reply.text !== "" || reply.toolCalls.length === 0;
  const events: WireEvent[] = [
    { bytes: chunk(choice({ role: "assistant", content: textFirst ? "" : null, refusal: null })) },
  ];
  for (const piece of reply.textDeltas) events.push({ bytes: chunk(choice({ content: piece })), content: true });
  reply.toolCalls.forEach((call, index) => {
    const start = { index, id: ids[index], type: "function", function: { name: call.name, arguments: "" } };
    events.push({ bytes: chunk(choice({ tool_calls: [start] })), content: true });
    for (const fragment of call.argumentFragments) {
      const piece = { index, function: { arguments: fragment } };
      events.push({ bytes: chunk(choice({ tool_calls: [piece] })), content: true });
    }
  });
  events.push({ bytes: chunk(choice({}, finishReasonOf(reply))), terminal: true });
  const usage = usageOf(reply);
  if (includeUsage && usage !== undefined) events.push({ bytes: chunk([], usage), terminal: true });
  events.push({ bytes: "data: [DONE]\n\n", terminal: true });
  return { headers: headers(context, STREAM_CONTENT_TYPE), events };
}

const DEFAULT_ERRORS: Record<number, { message: string; type: string; code: string | null; param?: string }> = {
  400: { message: "Invalid request.", type: "invalid_request_error", code: null },
  401: {
    message: "Incorrect API key provided: sk-sim***. You can find your API key at https://platform.openai.com/account/api-keys.",
    type: "invalid_request_error",
    code: "invalid_api_key",
  },
  403: { message: "Country, region, or territory not supported", type: "request_forbidden", code: "unsupported_country_region_territory" },
  404: { message: "The model `{model}` does not exist or you do not have access to it.", type: "invalid_request_error", code: "model_not_found" },
  429: {
    message:
      "Rate limit reached for {model} in organization org-simulator on requests per min (RPM): Limit 3, Used 3, Requested 1. Please try again in 20s. Visit https://platform.openai.com/account/rate-limits to learn more.",
    type: "requests",
    code: "rate_limit_exceeded",
  },
  500: { message: "The server had an error while processing your request. Sorry about that!", type: "server_error", code: null },
  503: { message: "The server is overloaded or not ready yet.", type: "service_unavailable_error", code: "server_is_overloaded" },
};

function errorPayload(status: number, context: WireContext, options: WireErrorOptions = {}): Record<string, unknown> {
  const known = DEFAULT_ERRORS[status] ?? DEFAULT_ERRORS[status >= 500 ? 500 : 400];
  return {
    error: {
      message: (options.message ?? known.message).replaceAll("{model}", context.model),
      type: options.errorType ?? known.type,
      param: known.param ?? null,
      code: options.errorCode ?? known.code,
    },
  };
}

const AZURE_PATH = /^\/openai\/deployments\/([^/]+)\/chat\/completions$/;

export const openaiWire: VendorWire = {
  vendor: "openai",
  basePath: "/v1",
  route(pathname) {
    if (pathname === "/v1/chat/completions") return {};
    // Azure names the deployment in the path; it stands for the model.
    const azure = AZURE_PATH.exec(pathname);
    return azure === null ? undefined : { model: decodeURIComponent(azure[1]) };
  },
  contentTypes: { json: JSON_CONTENT_TYPE, stream: STREAM_CONTENT_TYPE },
  isStream: (body) => body.stream === true,
  promptOf: (body) => promptOfMessages(body.messages),
  validate(body) {
    if (!Array.isArray(body.messages)) {
      return { status: 400, message: "Missing required parameter: 'messages'." };
    }
    return undefined;
  },
  unary,
  stream,
  error(status, context, options) {
    return {
      status,
      headers: headers(context, JSON_CONTENT_TYPE),
      body: `${JSON.stringify(errorPayload(status, context, options), null, 2)}\n`,
    };
  },
  malformedEvent(context) {
    return `data: {"id":"chatcmpl-${context.ids.next(29)}","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"content":"trunc\n\n`;
  },
  inBandError(context, message) {
    const payload = errorPayload(500, context, { message: message ?? "The server had an error while processing your request. Sorry about that!" });
    return `data: ${JSON.stringify(payload)}\n\n`;
  },
};
