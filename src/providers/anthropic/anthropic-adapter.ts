import { createPooledClient, type PooledClient } from "../http/pooled-client.js";
import { readErrorBody } from "../http/read-error-body.js";
import { responseLimitsOf } from "../http/response-limits.js";
import { readSseEvents } from "../http/sse.js";
import type { CompleteResult, ModelCall, ProviderAdapter, ProviderSettings, StreamPart } from "../spec.js";
import { anthropicErrorFromResponse } from "./anthropic-error.js";
import { buildAnthropicRequest } from "./build-anthropic-request.js";
import { parseAnthropicResponse } from "./parse-anthropic-response.js";
import { parseAnthropicStream } from "./parse-anthropic-stream.js";

/** The API version every request pins; the Messages API refuses requests without it. */
export const anthropicVersion = "2023-06-01";

/**
 * Creates the adapter for Anthropic's Messages API (`POST ${baseUrl}/v1/messages`, e.g. baseUrl
 * `https://api.anthropic.com`). Authenticates with `x-api-key` and pins `anthropic-version`;
 * `settings.headers` are added last, so a deployment can add `anthropic-beta` or pin another
 * version. `complete` uses the non-streaming endpoint, `stream` the SSE one. Pass `options.client`
 * to share or fake the connection pool.
 */
export function createAnthropicAdapter(
  settings: ProviderSettings,
  options: { client?: PooledClient } = {},
): ProviderAdapter {
  const client =
    options.client ?? createPooledClient(settings);
  const limits = responseLimitsOf(settings);

  function headers(stream: boolean): Record<string, string> {
    return {
      "content-type": "application/json",
      accept: stream ? "text/event-stream" : "application/json",
      "anthropic-version": anthropicVersion,
      ...(settings.apiKey !== undefined && settings.apiKey !== "" ? { "x-api-key": settings.apiKey } : {}),
      ...settings.headers,
    };
  }

  async function send(call: ModelCall, body: Record<string, unknown>, stream: boolean, signal: AbortSignal) {
    const response = await client.request({
      path: "/v1/messages",
      method: "POST",
      headers: headers(stream),
      body: JSON.stringify(body),
      signal,
      timeouts: call.timeouts,
      dispatch: call.dispatch,
    });
    if (response.status < 200 || response.status >= 300) {
      throw anthropicErrorFromResponse(response.status, response.headers, await readErrorBody(response));
    }
    return response;
  }

  return {
    kind: "anthropic",

    async complete(call: ModelCall, signal: AbortSignal): Promise<CompleteResult> {
      const request = buildAnthropicRequest(call, false);
      const response = await send(call, request.body, false, signal);
      return parseAnthropicResponse(await response.text(limits.maxResponseBytes), request.warnings);
    },

    async *stream(call: ModelCall, signal: AbortSignal): AsyncGenerator<StreamPart, void, undefined> {
      const request = buildAnthropicRequest(call, true);
      for (const warning of request.warnings) yield { type: "warning", warning };
      const response = await send(call, request.body, true, signal);
      yield* parseAnthropicStream(readSseEvents(response.body, { idleMs: call.timeouts.idleMs, signal, maxEventBytes: limits.maxEventBytes }));
    },

    close: () => client.close(),
  };
}
