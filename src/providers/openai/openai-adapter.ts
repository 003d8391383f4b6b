import { createPooledClient, type PooledClient } from "../http/pooled-client.js";
import { responseLimitsOf } from "../http/response-limits.js";
import type { ProviderAdapter, ProviderSettings } from "../spec.js";
import { createOpenAIChatAdapter } from "./create-openai-chat-adapter.js";

/**
 * Creates the adapter for api.openai.com (Chat Completions, `POST {baseUrl}/chat/completions`,
 * Bearer auth, `max_completion_tokens`). `settings.headers` (e.g. `OpenAI-Organization`,
 * `OpenAI-Project`) are sent on every call and may override ours. Pass `options.client` to share or
 * stub the pool; by default the adapter owns one sized by `settings.maxConnections` and `maxQueued`.
 */
export function createOpenAIAdapter(settings: ProviderSettings, options: { client?: PooledClient } = {}): ProviderAdapter {
  const client = options.client ?? createPooledClient(settings);
  const headers: Record<string, string> = {};
  if (settings.apiKey !== undefined) headers.authorization = `Bearer ${settings.apiKey}`;
  return createOpenAIChatAdapter({
    kind: "openai",
    client,
    path: () => "/chat/completions",
    headers: { ...headers, ...settings.headers },
    maxTokensField: "max_completion_tokens",
    limits: responseLimitsOf(settings),
  });
}
