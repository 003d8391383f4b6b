/**
 * Ollama `/api/chat` shapes, as recorded in fixtures/providers/ollama/: NDJSON lines (`stream` defaults
 * to true when omitted), a final `done:true` line with `done_reason` and nanosecond durations, tool calls
 * complete in one `done:false` line with arguments as an object, and flat `{"error":"..."}` errors.
 */
import type { Reply } from "./behavior.js";
import type { StreamResponse, UnaryResponse, VendorWire, WireContext, WireEvent, WireErrorOptions } from "./wire.js";
import { promptOfMessages } from "./wire.js";

const STREAM_CONTENT_TYPE = "application/x-ndjson";
const JSON_CONTENT_TYPE = "application/json; charset=utf-8";

/** RFC 3339 with nanosecond digits, as Ollama writes `created_at`. */
function createdAt(context: WireContext, offsetMs = 0): string {
  return new Date(context.receivedAt + offsetMs).toISOString().replace("Z", "000000Z");
}

/** Deterministic durations derived from the token counts (5 ms per output token). */
function metrics(reply: Reply): Record<string, number> {
  const usage = reply.usage;
  const evalCount = usage?.outputTokens ?? 0;
  const promptCount = usage?.inputTokens ?? 0;
  const loadDuration = 40_000_000;
  const promptEvalDuration = promptCount * 1_000_000;
  const evalDuration = evalCount * 5_000_000;
  const result: Record<string, number> = {
    total_duration: loadDuration + promptEvalDuration + evalDuration,
    load_duration: loadDuration,
  };
  if (usage !== undefined) {
    result.prompt_eval_count = promptCount;
    result.prompt_eval_duration = promptEvalDuration;
    result.eval_count = evalCount;
    result.eval_duration = evalDuration;
  }
  return result;
}

function toolCallsOf(reply: Reply, context: WireContext): unknown[] {
  return reply.toolCalls.map((call, index) => ({
    id: call.id ?? `call_${context.ids.next(8, "abcdefghijklmnopqrstuvwxyz0123456789")}`,
    function: { index, name: call.name, arguments: call.arguments },
  }));
}

function doneReasonOf(reply: Reply): string {
  // Ollama has no tool-specific reason: a tool call ends with "stop".
  return reply.finishReason ?? "stop";
}

function unary(reply: Reply, context: WireContext): UnaryResponse {
  const message: Record<string, unknown> = { role: "assistant", content: reply.text };
  if (reply.reasoning !== undefined) message.thinking = reply.reasoning;
  if (reply.toolCalls.length > 0) message.tool_calls = toolCallsOf(reply, context);
  const body = {
    model: context.model,
    created_at: createdAt(context),
    message,
    done: true,
    done_reason: doneReasonOf(reply),
    ...metrics(reply),
  };
  return { status: 200, headers: { "content-type": JSON_CONTENT_TYPE }, body: `${JSON.stringify(body)}\n` };
}

function stream(reply: Reply, context: WireContext): StreamResponse {
  let tick = 0;
  const line = (message: Record<string, unknown>): string =>
    `${JSON.stringify({ model: context.model, created_at: createdAt(context, tick++), message, done: false })}\n`;
  const events: WireEvent[] = [];
  for (const piece of reply.reasoningDeltas) {
    events.push({ bytes: line({ role: "assistant", content: "", thinking: piece }), content: true });
  }
  for (const piece of reply.textDeltas) events.push({ bytes: line({ role: "assistant", content: piece }), content: true });
  if (reply.toolCalls.length > 0) {
    events.push({ bytes: line({ role: "assistant", content: "", tool_calls: toolCallsOf(reply, context) }), content: true });
  }
  const final = {
    model: context.model,
    created_at: createdAt(context, tick),
    message: { role: "assistant", content: "" },
    done_reason: doneReasonOf(reply),
    done: true,
    ...metrics(reply),
  };
  events.push({ bytes: `${JSON.stringify(final)}\n`, terminal: true });
  return { headers: { "content-type": STREAM_CONTENT_TYPE }, events };
}

const MESSAGES: Record<number, string> = {
  400: "invalid request",
  401: "unauthorized",
  404: 'model "{model}" not found, try pulling it first',
  429: "too many requests",
  500: "internal server error",
  502: "bad gateway",
  // Two spaces, as in server/sched.go ErrMaxQueue.
  503: "server busy, please try again.  maximum pending requests exceeded",
};

function errorMessage(status: number, context: WireContext, options: WireErrorOptions = {}): string {
  const known = MESSAGES[status] ?? MESSAGES[status >= 500 ? 500 : 400];
  return (options.message ?? known).replaceAll("{model}", context.model);
}

export const ollamaWire: VendorWire = {
  vendor: "ollama",
  basePath: "",
  route: (pathname) => (pathname === "/api/chat" ? {} : undefined),
  contentTypes: { json: JSON_CONTENT_TYPE, stream: STREAM_CONTENT_TYPE },
  // Streaming is Ollama's default: only an explicit `"stream": false` gets one JSON object.
  isStream: (body) => body.stream !== false,
  promptOf: (body) => promptOfMessages(body.messages),
  validate(body) {
    if (typeof body.model !== "string" || body.model === "") return { status: 400, message: "model is required" };
    return undefined;
  },
  unary,
  stream,
  error(status, context, options) {
    return {
      status,
      headers: { "content-type": JSON_CONTENT_TYPE },
      body: JSON.stringify({ error: errorMessage(status, context, options) }),
    };
  },
  malformedEvent(context) {
    return `{"model":${JSON.stringify(context.model)},"created_at":"${createdAt(context)}","message":{"role":"assistant","content":"trunc\n`;
  },
  inBandError(context, message) {
    return `${JSON.stringify({ error: message ?? errorMessage(500, context) })}\n`;
  },
};
