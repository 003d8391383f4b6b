import { createAnthropicAdapter } from "./anthropic/anthropic-adapter.js";
import { createEchoAdapter } from "./echo/echo-adapter.js";
import { createGeminiAdapter } from "./gemini/gemini-adapter.js";
import { createOllamaAdapter } from "./ollama/ollama-adapter.js";
import { createOpenAICompatibleAdapter } from "./openai-compatible/openai-compatible-adapter.js";
import { createOpenAIAdapter } from "./openai/openai-adapter.js";
import type { ProviderAdapter, ProviderKind, ProviderSettings } from "./spec.js";

/**
 * Creates the adapter for a configured provider, by its `kind`. The one place that maps a kind to
 * its factory, so adding a vendor means one folder plus one line here.
 */
export function createAdapter(settings: ProviderSettings): ProviderAdapter {
  const kind: ProviderKind = settings.kind;
  switch (kind) {
    case "openai":
      return createOpenAIAdapter(settings);
    case "openai-compatible":
      return createOpenAICompatibleAdapter(settings);
    case "anthropic":
      return createAnthropicAdapter(settings);
    case "gemini":
      return createGeminiAdapter(settings);
    case "ollama":
      return createOllamaAdapter(settings);
    case "echo":
      return createEchoAdapter();
  }
}
