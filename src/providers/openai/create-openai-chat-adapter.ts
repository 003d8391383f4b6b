import type { PooledClient } from "../http/pooled-client.js";
import { readErrorBody } from "../http/read-error-body.js";
import { readSseEvents } from "../http/sse.js";
import { toProviderError } from "../http/network-error.js";
import type { CompleteResult, ModelCall, ProviderAdapter, ProviderKind, ResponseLimits, StreamPart } from "../spec.js";
import { buildOpenAIRequest } from "./build-openai-request.js";
import { createOpenAIError } from "./openai-error.js";
import { parseOpenAIResponse } from "./parse-openai-response.js";
import { parseOpenAIStream } from "./parse-openai-stream.js";

/** What differs between servers that speak the Chat Completions wire. */
export interface OpenAIChatAdapterConfig {
  kind: Extract<ProviderKind, "openai" | "openai-compatible">;
  client: PooledClient;
  /** The request path (with query) for a call, relative to the base URL. */
  path(call: ModelCall): string;
  /** Auth and custom headers for every call; content headers are added here. */
  headers: Record<string, string>;
  maxTokensField: "max_completion_tokens" | "max_tokens";
  limits: ResponseLimits;
}

function requestHeaders(config: OpenAIChatAdapterConfig, call: ModelCall, stream: boolean): Record<string, string> {
  const headers: Record<string, string> = {
    "content-type": "application/json",
    accept: stream ? "text/event-stream" : "application/json",
  };
  // OpenAI echoes X-Client-Request-Id in its logs; other servers ignore it.
  if (call.requestId !== undefined) headers["x-client-request-id"] = call.requestId;
  return { ...headers, ...config.headers };
}

/**
 * Creates an adapter for any server speaking OpenAI Chat Completions: the OpenAI and the
 * OpenAI-compatible adapters are this with different paths, headers and token-limit field. Shared so
 * a fix to the wire handling reaches every such server at once.
 */
export function createOpenAIChatAdapter(config: OpenAIChatAdapterConfig): ProviderAdapter {
  const { client, limits } = config;

  async function send(call: ModelCall, signal: AbortSignal, body: Record<string, unknown>, stream: boolean) {
    const response = await client.request({
      path: config.path(call),
      method: "POST",
      headers: requestHeaders(config, call, stream),
      body: JSON.stringify(body),
      signal,
      timeouts: call.timeouts,
      dispatch: call.dispatch,
    });
    if (response.status < 200 || response.status > 299) {
      const bodyText = await readErrorBody(response);
      throw createOpenAIError({ status: response.status, headers: response.headers, bodyText });
    }
    return response;
  }

  async function complete(call: ModelCall, signal: AbortSignal): Promise<CompleteResult> {
    const { body, warnings } = buildOpenAIRequest(call, { stream: false, maxTokensField: config.maxTokensField });
    const response = await send(call, signal, body, false);
    let text: string;
    try {
      text = await response.text(limits.maxResponseBytes);
    } catch (error) {
      throw toProviderError(error, { caller: signal });
    }
    return parseOpenAIResponse(text, warnings);
  }

  async function* stream(call: ModelCall, signal: AbortSignal): AsyncGenerator<StreamPart, void, undefined> {
    const { body, warnings } = buildOpenAIRequest(call, { stream: true, maxTokensField: config.maxTokensField });
    for (const warning of warnings) yield { type: "warning", warning };
    const response = await send(call, signal, body, true);
    yield* parseOpenAIStream(readSseEvents(response.body, { idleMs: call.timeouts.idleMs, signal, maxEventBytes: limits.maxEventBytes }));
  }

  return {
    kind: config.kind,
    complete,
    stream,
    close: () => client.close(),
  };
}
