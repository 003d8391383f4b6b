import { createPooledClient, type PooledClient } from "../http/pooled-client.js";
import { responseLimitsOf } from "../http/response-limits.js";
import { createOpenAIChatAdapter } from "../openai/create-openai-chat-adapter.js";
import type { ProviderAdapter, ProviderSettings } from "../spec.js";

/**
 * Creates the adapter for servers that speak OpenAI Chat Completions: vLLM, Groq, LM Studio,
 * Ollama's `/v1`, Together, OpenRouter and Azure OpenAI. Differences from the OpenAI adapter:
 * - `settings.headers` carry whatever the server needs (they override ours);
 * - the output limit is sent as `max_tokens`, the field every such server accepts (several do not
 *   know `max_completion_tokens`), except on Azure, whose reasoning deployments require the new name;
 * - `stream_options.include_usage` is still sent, and a reply without usage is accepted: usage is then
 *   absent, never zero;
 * - Azure mode (`settings.azureApiVersion` set): `POST {baseUrl}/openai/deployments/{vendorModel}/
 *   chat/completions?api-version=X` with an `api-key` header instead of Bearer, the deployment name
 *   being the call's `vendorModel`.
 */
export function createOpenAICompatibleAdapter(
  settings: ProviderSettings,
  options: { client?: PooledClient } = {},
): ProviderAdapter {
  const client = options.client ?? createPooledClient(settings);
  const azureApiVersion = settings.azureApiVersion;
  const headers: Record<string, string> = {};
  if (settings.apiKey !== undefined) {
    if (azureApiVersion === undefined) headers.authorization = `Bearer ${settings.apiKey}`;
    else headers["api-key"] = settings.apiKey;
  }
  return createOpenAIChatAdapter({
    kind: "openai-compatible",
    client,
    path:
      azureApiVersion === undefined
        ? () => "/chat/completions"
        : (call) =>
            `/openai/deployments/${encodeURIComponent(call.vendorModel)}/chat/completions?api-version=${encodeURIComponent(azureApiVersion)}`,
    headers: { ...headers, ...settings.headers },
    maxTokensField: azureApiVersion === undefined ? "max_tokens" : "max_completion_tokens",
    limits: responseLimitsOf(settings),
  });
}
