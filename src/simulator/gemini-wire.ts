/**
 * Gemini (Generative Language API v1beta) shapes, as recorded in fixtures/providers/gemini/: unary and
 * error bodies pretty-printed with a trailing newline; `alt=sse` streams of `data: {json}\r\n\r\n` with
 * `": "` separators, `usageMetadata` with running values on every chunk, no terminator; function calls
 * whole in one chunk; finishReason STOP even for tool calls. Without `alt=sse`, streamGenerateContent
 * sends one JSON array, written element by element.
 */
import type { Reply } from "./behavior.js";
import type { StreamResponse, UnaryResponse, VendorWire, WireContext, WireEvent, WireErrorOptions } from "./wire.js";
import { runningCounts, textOf } from "./wire.js";

const STREAM_CONTENT_TYPE = "text/event-stream";
const JSON_CONTENT_TYPE = "application/json; charset=UTF-8";

/** JSON the way the Gemini SSE stream writes it: `"key": value`, items joined by a bare `,`. */
export function geminiJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(geminiJson).join(",")}]`;
  if (value !== null && typeof value === "object") {
    const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined);
    return `{${entries.map(([key, v]) => `${JSON.stringify(key)}: ${geminiJson(v)}`).join(",")}}`;
  }
  return JSON.stringify(value) ?? "null";
}

function headers(contentType: string, stream: boolean): Record<string, string> {
  const base: Record<string, string> = {
    "content-type": contentType,
    vary: "Origin, X-Origin, Referer",
    server: "scaffolding on HTTPServer2",
    "x-content-type-options": "nosniff",
  };
  if (stream) base["content-disposition"] = "attachment";
  return base;
}

interface Counts {
  prompt: number;
  candidates?: number;
  thoughts: number;
  cached: number;
}

function usageMetadata(counts: Counts): Record<string, unknown> {
  const total = counts.prompt + (counts.candidates ?? 0) + counts.thoughts;
  return {
    promptTokenCount: counts.prompt,
    candidatesTokenCount: counts.candidates,
    totalTokenCount: total,
    cachedContentTokenCount: counts.cached > 0 ? counts.cached : undefined,
    promptTokensDetails: [{ modality: "TEXT", tokenCount: counts.prompt }],
    thoughtsTokenCount: counts.thoughts > 0 ? counts.thoughts : undefined,
  };
}

function finalCounts(reply: Reply): Counts | undefined {
  const usage = reply.usage;
  if (usage === undefined) return undefined;
  // candidatesTokenCount excludes thoughts; totalTokenCount includes them.
  return {
    prompt: usage.inputTokens,
    candidates: Math.max(0, usage.outputTokens - usage.reasoningTokens),
    thoughts: usage.reasoningTokens,
    cached: usage.cachedInputTokens,
  };
}

function functionCallParts(reply: Reply): unknown[] {
  return reply.toolCalls.map((call) => ({ functionCall: { name: call.name, args: call.arguments } }));
}

function unary(reply: Reply, context: WireContext): UnaryResponse {
  const parts: unknown[] = [];
  if (reply.reasoning !== undefined) parts.push({ text: reply.reasoning, thought: true });
  if (reply.text !== "" || reply.toolCalls.length === 0) parts.push({ text: reply.text });
  parts.push(...functionCallParts(reply));
  const counts = finalCounts(reply);
  const body = {
    candidates: [
      {
        content: { parts, role: "model" },
        finishReason: reply.finishReason ?? "STOP",
        index: 0,
        finishMessage: reply.toolCalls.length > 0 ? "Model generated function call(s)." : undefined,
      },
    ],
    usageMetadata: counts === undefined ? undefined : usageMetadata(counts),
    modelVersion: context.model,
    responseId: context.ids.next(23),
  };
  return { status: 200, headers: headers(JSON_CONTENT_TYPE, false), body: `${JSON.stringify(body, null, 2)}\n` };
}

function stream(reply: Reply, context: WireContext): StreamResponse {
  const sse = context.query.get("alt") === "sse";
  const responseId = context.ids.next(23);
  const counts = finalCounts(reply);
  const thoughtRunning = runningCounts(counts?.thoughts ?? 0, reply.reasoningDeltas);
  const textRunning = runningCounts(counts?.candidates ?? 0, reply.textDeltas);
  let first = true;
  const frame = (json: string): string => {
    if (sse) return `data: ${json}\r\n\r\n`;
    const prefix = first ? "[" : "\n,\r\n";
    first = false;
    return `${prefix}${json}`;
  };
  const chunk = (parts: unknown[], running: Counts | undefined, finishReason?: string): string =>
    frame(
      geminiJson({
        candidates: [{ content: { parts, role: "model" }, finishReason, index: 0 }],
        usageMetadata: running === undefined ? undefined : usageMetadata(running),
        modelVersion: context.model,
        responseId,
      }),
    );
  const events: WireEvent[] = [];
  const base = (candidates: number | undefined, thoughts: number): Counts | undefined =>
    counts === undefined ? undefined : { prompt: counts.prompt, candidates, thoughts, cached: counts.cached };
  reply.reasoningDeltas.forEach((piece, i) => {
    events.push({ bytes: chunk([{ text: piece, thought: true }], base(undefined, thoughtRunning[i])), content: true });
  });
  const thoughts = counts?.thoughts ?? 0;
  const withText = reply.text !== "" || reply.toolCalls.length === 0;
  const textDeltas = withText ? reply.textDeltas : [];
  const finishReason = reply.finishReason ?? "STOP";
  textDeltas.forEach((piece, i) => {
    // The last text chunk carries finishReason (streamGenerateContent-text.sse) unless tool calls follow.
    const last = i === textDeltas.length - 1 && reply.toolCalls.length === 0;
    events.push({
      bytes: chunk([{ text: piece }], base(textRunning[i], thoughts), last ? finishReason : undefined),
      content: true,
      terminal: last,
    });
  });
  if (reply.toolCalls.length > 0 || textDeltas.length === 0) {
    if (reply.toolCalls.length > 0) {
      events.push({ bytes: chunk(functionCallParts(reply), base(counts?.candidates, thoughts)), content: true });
    }
    // As in streamGenerateContent-function-call.sse: a final empty text part carries finishReason.
    events.push({ bytes: chunk([{ text: "" }], counts, finishReason), terminal: true });
  }
  if (!sse) events.push({ bytes: "]", terminal: true });
  return { headers: headers(sse ? STREAM_CONTENT_TYPE : JSON_CONTENT_TYPE, sse), events };
}

const STATUSES: Record<number, { status: string; message: string }> = {
  400: { status: "INVALID_ARGUMENT", message: "Request contains an invalid argument." },
  401: { status: "UNAUTHENTICATED", message: "Request had invalid authentication credentials." },
  403: {
    status: "PERMISSION_DENIED",
    message: "Method doesn't allow unregistered callers (callers without established identity). Please use API Key or other form of API consumer identity to call this API.",
  },
  404: {
    status: "NOT_FOUND",
    message: "models/{model} is not found for API version v1beta, or is not supported for generateContent. Call ModelService.ListModels to see the list of available models and their supported methods.",
  },
  429: { status: "RESOURCE_EXHAUSTED", message: "You exceeded your current quota, please check your plan and billing details." },
  500: { status: "INTERNAL", message: "An internal error has occurred. Please retry or report in https://developers.generativeai.google/guide/troubleshooting" },
  503: { status: "UNAVAILABLE", message: "The model is overloaded. Please try again later." },
  504: { status: "DEADLINE_EXCEEDED", message: "Deadline expired before operation could complete." },
};

function errorPayload(code: number, context: WireContext, options: WireErrorOptions = {}): Record<string, unknown> {
  const known = STATUSES[code] ?? STATUSES[code >= 500 ? 500 : 400];
  const details =
    code === 429
      ? [
          {
            "@type": "type.googleapis.com/google.rpc.QuotaFailure",
            violations: [{ quotaId: "GenerateRequestsPerMinutePerProjectPerModel-FreeTier" }],
          },
          // Gemini sends no Retry-After header: the wait is only in the body.
          { "@type": "type.googleapis.com/google.rpc.RetryInfo", retryDelay: `${options.retryAfterSeconds ?? 7}s` },
        ]
      : undefined;
  return {
    error: {
      code,
      message: (options.message ?? known.message).replaceAll("{model}", context.model),
      status: options.errorType ?? known.status,
      details,
    },
  };
}

const MODEL_PATH = /^\/v1beta\/models\/([^/:]+):(generateContent|streamGenerateContent)$/;

export const geminiWire: VendorWire = {
  vendor: "gemini",
  basePath: "/v1beta",
  route(pathname) {
    const match = MODEL_PATH.exec(pathname);
    return match === null ? undefined : { model: decodeURIComponent(match[1]), pathStream: match[2] === "streamGenerateContent" };
  },
  contentTypes: { json: JSON_CONTENT_TYPE, stream: STREAM_CONTENT_TYPE },
  isStream: (_body, pathStream) => pathStream === true,
  promptOf(body) {
    const contents = Array.isArray(body.contents) ? body.contents : [];
    let lastUserText: string | undefined;
    const all: string[] = [textOf((body.systemInstruction as { parts?: unknown } | undefined)?.parts)];
    for (const content of contents) {
      if (content === null || typeof content !== "object") continue;
      const { role, parts } = content as { role?: unknown; parts?: unknown };
      const text = textOf(parts);
      all.push(text);
      if ((role === undefined || role === "user") && text.trim().length > 0) lastUserText = text;
    }
    return { lastUserText, promptText: all.join(" ") };
  },
  validate(body) {
    if (!Array.isArray(body.contents)) return { status: 400, message: "* GenerateContentRequest.contents: contents is not specified\n" };
    return undefined;
  },
  unary,
  stream,
  error(status, context, options) {
    return {
      status,
      headers: headers(JSON_CONTENT_TYPE, false),
      body: `${JSON.stringify(errorPayload(status, context, options), null, 2)}\n`,
    };
  },
  malformedEvent(context) {
    return context.query.get("alt") === "sse" ? 'data: {"candidates": [{"content": {"parts": [{"text": "trunc\r\n\r\n' : '\n,\r\n{"candidates": [{"content": ';
  },
  inBandError(context, message) {
    // The js-genai SDK checks every chunk for a bare {"error": {...}} object with a 4xx/5xx code.
    const payload = geminiJson(errorPayload(503, context, { message }));
    return context.query.get("alt") === "sse" ? `data: ${payload}\r\n\r\n` : `\n,\r\n${payload}`;
  },
};
