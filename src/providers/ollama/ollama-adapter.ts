import { readNdjsonLines } from "../http/ndjson.js";
import { createPooledClient, type PooledClient } from "../http/pooled-client.js";
import { readErrorBody } from "../http/read-error-body.js";
import { responseLimitsOf } from "../http/response-limits.js";
import { collectStream } from "../http/stream-to-result.js";
import type { CompleteResult, ModelCall, ProviderAdapter, ProviderSettings, StreamPart } from "../spec.js";
import { buildOllamaRequest } from "./build-ollama-request.js";
import { ollamaErrorFromResponse } from "./ollama-error.js";
import { parseOllamaStream } from "./parse-ollama-stream.js";

/**
 * Creates the adapter for Ollama's native chat API (`POST ${baseUrl}/api/chat`, baseUrl like
 * `http://localhost:11434` or `https://ollama.com`). A local server needs no auth; ollama.com takes
 * `Authorization: Bearer`, sent only when an API key is configured. `complete` sends
 * `stream:false` and reads one JSON object; `stream` reads NDJSON (ollama.com frames it with
 * `Content-Length` and `application/json`, local servers chunked `application/x-ndjson`: the
 * line reader does not care).
 */
export function createOllamaAdapter(settings: ProviderSettings, options: { client?: PooledClient } = {}): ProviderAdapter {
  const client =
    options.client ?? createPooledClient(settings);
  const limits = responseLimitsOf(settings);

  async function send(call: ModelCall, body: Record<string, unknown>, stream: boolean, signal: AbortSignal) {
    const response = await client.request({
      path: "/api/chat",
      method: "POST",
      headers: {
        "content-type": "application/json",
        accept: stream ? "application/x-ndjson" : "application/json",
        ...(settings.apiKey !== undefined && settings.apiKey !== "" ? { authorization: `Bearer ${settings.apiKey}` } : {}),
        ...settings.headers,
      },
      body: JSON.stringify(body),
      signal,
      timeouts: call.timeouts,
      dispatch: call.dispatch,
    });
    if (response.status < 200 || response.status >= 300) {
      throw ollamaErrorFromResponse(response.status, response.headers, await readErrorBody(response));
    }
    return response;
  }

  return {
    kind: "ollama",

    async complete(call: ModelCall, signal: AbortSignal): Promise<CompleteResult> {
      const request = buildOllamaRequest(call, false);
      const response = await send(call, request.body, false, signal);
      const bodyText = await response.text(limits.maxResponseBytes);
      // The stream:false body is the final stream object with the whole message: parse it the same way.
      const result = await collectStream(
        parseOllamaStream(
          (async function* () {
            yield bodyText;
          })(),
        ),
      );
      return { ...result, warnings: request.warnings };
    },

    async *stream(call: ModelCall, signal: AbortSignal): AsyncGenerator<StreamPart, void, undefined> {
      const request = buildOllamaRequest(call, true);
      for (const warning of request.warnings) yield { type: "warning", warning };
      const response = await send(call, request.body, true, signal);
      yield* parseOllamaStream(readNdjsonLines(response.body, { idleMs: call.timeouts.idleMs, signal, maxEventBytes: limits.maxEventBytes }));
    },

    close: () => client.close(),
  };
}
