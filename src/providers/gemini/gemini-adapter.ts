import { createPooledClient, type PooledClient } from "../http/pooled-client.js";
import { readErrorBody } from "../http/read-error-body.js";
import { responseLimitsOf } from "../http/response-limits.js";
import { readSseEvents } from "../http/sse.js";
import { collectStream } from "../http/stream-to-result.js";
import type { CompleteResult, ModelCall, ProviderAdapter, ProviderSettings, StreamPart } from "../spec.js";
import { buildGeminiRequest } from "./build-gemini-request.js";
import { geminiErrorFromResponse } from "./gemini-error.js";
import { parseGeminiStream } from "./parse-gemini-stream.js";

/**
 * Creates the adapter for the Gemini API (baseUrl like
 * `https://generativelanguage.googleapis.com/v1beta`): `complete` posts to
 * `/models/{model}:generateContent`, `stream` to `/models/{model}:streamGenerateContent?alt=sse`
 * (without `alt=sse` Gemini streams one JSON array instead of SSE). The key goes in the
 * `x-goog-api-key` header, never in the URL, so it cannot leak into access logs or error messages
 * that quote the URL. `settings.headers` are added last.
 */
export function createGeminiAdapter(settings: ProviderSettings, options: { client?: PooledClient } = {}): ProviderAdapter {
  const client =
    options.client ?? createPooledClient(settings);
  const limits = responseLimitsOf(settings);

  async function send(call: ModelCall, body: Record<string, unknown>, stream: boolean, signal: AbortSignal) {
    const model = encodeURIComponent(call.vendorModel.replace(/^models\//, ""));
    const response = await client.request({
      path: stream ? `/models/${model}:streamGenerateContent?alt=sse` : `/models/${model}:generateContent`,
      method: "POST",
      headers: {
        "content-type": "application/json",
        accept: stream ? "text/event-stream" : "application/json",
        ...(settings.apiKey !== undefined && settings.apiKey !== "" ? { "x-goog-api-key": settings.apiKey } : {}),
        ...settings.headers,
      },
      body: JSON.stringify(body),
      signal,
      timeouts: call.timeouts,
      dispatch: call.dispatch,
    });
    if (response.status < 200 || response.status >= 300) {
      throw geminiErrorFromResponse(response.status, response.headers, await readErrorBody(response));
    }
    return response;
  }

  return {
    kind: "gemini",

    async complete(call: ModelCall, signal: AbortSignal): Promise<CompleteResult> {
      const request = buildGeminiRequest(call);
      const response = await send(call, request.body, false, signal);
      const bodyText = await response.text(limits.maxResponseBytes);
      // One non-streaming response is a stream of one chunk: the same parser applies its quirks.
      const result = await collectStream(
        parseGeminiStream(
          (async function* () {
            yield bodyText;
          })(),
        ),
      );
      return { ...result, warnings: request.warnings };
    },

    async *stream(call: ModelCall, signal: AbortSignal): AsyncGenerator<StreamPart, void, undefined> {
      const request = buildGeminiRequest(call);
      for (const warning of request.warnings) yield { type: "warning", warning };
      const response = await send(call, request.body, true, signal);
      yield* parseGeminiStream(dataOf(readSseEvents(response.body, { idleMs: call.timeouts.idleMs, signal, maxEventBytes: limits.maxEventBytes })));
    },

    close: () => client.close(),
  };
}

async function* dataOf(events: AsyncIterable<{ data: string }>): AsyncGenerator<string, void, undefined> {
  for await (const event of events) yield event.data;
}
