/**
 * Anthropic Messages shapes, as recorded in fixtures/providers/anthropic/: compact JSON with no trailing
 * newline, SSE with `event:` names (message_start, content_block_start/delta/stop, ping, message_delta
 * with cumulative usage, message_stop), and the space padding real servers put before the final `}`.
 */
import type { Reply } from "./behavior.js";
import type { StreamResponse, UnaryResponse, VendorWire, WireContext, WireEvent, WireErrorOptions } from "./wire.js";
import { promptOfMessages } from "./wire.js";

const STREAM_CONTENT_TYPE = "text/event-stream; charset=utf-8";
const JSON_CONTENT_TYPE = "application/json";

/**
 * Pad lengths copied from messages-stream-text(-then-two-tool-uses).sse, cycled. Real `data:` JSON has
 * runs of spaces before its last `}`; clients must parse, never compare strings.
 */
const PADDING = [11, 2, 2, 6, 9, 8, 8, 14, 6, 9, 9, 3, 7, 11, 4, 4, 3];

function headers(context: WireContext, contentType: string): Record<string, string> {
  return {
    "content-type": contentType,
    "request-id": requestIdOf(context),
    "anthropic-organization-id": "00000000-0000-4000-8000-000000000000",
  };
}

const requestIds = new WeakMap<WireContext, string>();

/** One request id per request, shared by the `request-id` header and error bodies. */
function requestIdOf(context: WireContext): string {
  let id = requestIds.get(context);
  if (id === undefined) {
    id = `req_011C${context.ids.next(20)}`;
    requestIds.set(context, id);
  }
  return id;
}

function usageOf(reply: Reply): Record<string, unknown> | undefined {
  const usage = reply.usage;
  if (usage === undefined) return undefined;
  return {
    // Anthropic reports cache reads separately from input_tokens.
    input_tokens: usage.inputTokens - usage.cachedInputTokens,
    cache_creation_input_tokens: 0,
    cache_read_input_tokens: usage.cachedInputTokens,
    cache_creation: { ephemeral_5m_input_tokens: 0, ephemeral_1h_input_tokens: 0 },
    output_tokens: usage.outputTokens,
    service_tier: "standard",
  };
}

function stopReasonOf(reply: Reply): string {
  return reply.finishReason ?? (reply.toolCalls.length > 0 ? "tool_use" : "end_turn");
}

function toolIds(reply: Reply, context: WireContext): string[] {
  return reply.toolCalls.map((call) => call.id ?? `toolu_01${context.ids.next(22)}`);
}

function signatureOf(context: WireContext): string {
  return `Eu${context.ids.next(62)}==`;
}

function unary(reply: Reply, context: WireContext): UnaryResponse {
  const id = `msg_01${context.ids.next(22)}`;
  const ids = toolIds(reply, context);
  const content: unknown[] = [];
  if (reply.reasoning !== undefined) {
    content.push({ type: "thinking", thinking: reply.reasoning, signature: signatureOf(context) });
  }
  if (reply.text !== "" || reply.toolCalls.length === 0) content.push({ type: "text", text: reply.text });
  reply.toolCalls.forEach((call, index) => {
    content.push({ type: "tool_use", id: ids[index], name: call.name, input: call.arguments });
  });
  const body = {
    id,
    type: "message",
    role: "assistant",
    model: context.model,
    content,
    stop_reason: stopReasonOf(reply),
    stop_sequence: null,
    usage: usageOf(reply),
  };
  return { status: 200, headers: headers(context, JSON_CONTENT_TYPE), body: JSON.stringify(body) };
}

function stream(reply: Reply, context: WireContext): StreamResponse {
  const id = `msg_01${context.ids.next(22)}`;
  const ids = toolIds(reply, context);
  let padIndex = 0;
  const event = (name: string, payload: Record<string, unknown>): string => {
    const json = JSON.stringify({ type: name, ...payload });
    const pad = " ".repeat(PADDING[padIndex++ % PADDING.length]);
    return `event: ${name}\ndata: ${json.slice(0, -1)}${pad}}\n\n`;
  };
  const ping = 'event: ping\ndata: {"type": "ping"}\n\n';
  const usage = usageOf(reply);
  const startUsage = usage === undefined ? undefined : { ...usage, output_tokens: Math.min(usage.output_tokens as number, 3) };
  const events: WireEvent[] = [
    {
      bytes: event("message_start", {
        message: {
          id,
          type: "message",
          role: "assistant",
          model: context.model,
          content: [],
          stop_reason: null,
          stop_sequence: null,
          usage: startUsage,
        },
      }),
    },
  ];
  let index = 0;
  let pinged = false;
  const openBlock = (block: Record<string, unknown>, isContent = false): void => {
    events.push({ bytes: event("content_block_start", { index, content_block: block }), content: isContent });
    if (!pinged) {
      events.push({ bytes: ping });
      pinged = true;
    }
  };
  const delta = (body: Record<string, unknown>): void => {
    events.push({ bytes: event("content_block_delta", { index, delta: body }), content: true });
  };
  const closeBlock = (): void => {
    events.push({ bytes: event("content_block_stop", { index }) });
    index += 1;
  };
  if (reply.reasoning !== undefined) {
    openBlock({ type: "thinking", thinking: "", signature: "" });
    for (const piece of reply.reasoningDeltas) delta({ type: "thinking_delta", thinking: piece });
    events.push({ bytes: event("content_block_delta", { index, delta: { type: "signature_delta", signature: signatureOf(context) } }) });
    closeBlock();
  }
  if (reply.text !== "" || reply.toolCalls.length === 0) {
    openBlock({ type: "text", text: "" });
    for (const piece of reply.textDeltas) delta({ type: "text_delta", text: piece });
    closeBlock();
  }
  reply.toolCalls.forEach((call, callIndex) => {
    openBlock({ type: "tool_use", id: ids[callIndex], name: call.name, input: {} }, true);
    // The first partial_json is always "", as in every recording.
    delta({ type: "input_json_delta", partial_json: "" });
    if (call.argumentsJson !== "{}") {
      for (const fragment of call.argumentFragments) delta({ type: "input_json_delta", partial_json: fragment });
    }
    closeBlock();
  });
  const finalUsage = usage === undefined ? undefined : { ...usage };
  if (finalUsage !== undefined) {
    delete finalUsage.cache_creation;
    delete finalUsage.service_tier;
  }
  events.push({
    bytes: event("message_delta", { delta: { stop_reason: stopReasonOf(reply), stop_sequence: null }, usage: finalUsage }),
    terminal: true,
  });
  events.push({ bytes: event("message_stop", {}), terminal: true });
  return { headers: headers(context, STREAM_CONTENT_TYPE), events };
}

const ERROR_TYPES: Record<number, { type: string; message: string }> = {
  400: { type: "invalid_request_error", message: "Invalid request." },
  401: { type: "authentication_error", message: "invalid x-api-key" },
  402: { type: "billing_error", message: "Your credit balance is too low to access the Anthropic API." },
  403: { type: "permission_error", message: "Your API key does not have permission to use the specified resource." },
  404: { type: "not_found_error", message: "model: {model}" },
  409: { type: "conflict_error", message: "Conflict." },
  413: { type: "request_too_large", message: "Request exceeds the maximum allowed number of bytes." },
  429: {
    type: "rate_limit_error",
    message:
      "Number of concurrent connections has exceeded your rate limit. Please try again later or contact sales at https://www.anthropic.com/contact-sales to discuss your options for a rate limit increase.",
  },
  500: { type: "api_error", message: "Internal server error" },
  504: { type: "timeout_error", message: "Request timed out." },
  529: { type: "overloaded_error", message: "Overloaded" },
};

export const anthropicWire: VendorWire = {
  vendor: "anthropic",
  basePath: "",
  route: (pathname) => (pathname === "/v1/messages" ? {} : undefined),
  contentTypes: { json: JSON_CONTENT_TYPE, stream: STREAM_CONTENT_TYPE },
  isStream: (body) => body.stream === true,
  promptOf: (body) => promptOfMessages(body.messages, body.system),
  validate(body) {
    // max_tokens is required by the real API; adapters must send it.
    if (typeof body.max_tokens !== "number") return { status: 400, message: "max_tokens: Field required" };
    if (!Array.isArray(body.messages)) return { status: 400, message: "messages: Field required" };
    return undefined;
  },
  unary,
  stream,
  error(status, context, options: WireErrorOptions = {}) {
    const known = ERROR_TYPES[status] ?? ERROR_TYPES[status >= 500 ? 500 : 400];
    const body = {
      type: "error",
      error: {
        type: options.errorType ?? known.type,
        message: (options.message ?? known.message).replaceAll("{model}", context.model),
      },
      request_id: requestIdOf(context),
    };
    return { status, headers: headers(context, JSON_CONTENT_TYPE), body: JSON.stringify(body) };
  },
  malformedEvent() {
    return 'event: content_block_delta\ndata: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"trunc\n\n';
  },
  inBandError(context, message) {
    // Verbatim shape of transcribed/stream-error-event-overloaded.data.json plus the newer request_id.
    const payload = { type: "error", error: { details: null, type: "overloaded_error", message: message ?? "Overloaded" }, request_id: requestIdOf(context) };
    return `event: error\ndata: ${JSON.stringify(payload).slice(0, -1)} }\n\n`;
  },
};
