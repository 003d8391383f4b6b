/**
 * The span attribute names modelgate writes: the OpenTelemetry GenAI semantic conventions' where one
 * fits (status Development; `gen_ai.provider.name` is the v1.37+ name of `gen_ai.system`), and
 * `modelgate.*` for the gateway's own facts. Never prompt or completion text, never a key: the
 * conventions make message content opt-in, and modelgate does not offer it on spans.
 */
import type { Usage } from "../providers/spec.js";
import type { ProviderKind } from "../providers/registry.js";
import type { Span } from "@opentelemetry/api";

export const GEN_AI_OPERATION_NAME = "gen_ai.operation.name";
export const GEN_AI_PROVIDER_NAME = "gen_ai.provider.name";
export const GEN_AI_REQUEST_MODEL = "gen_ai.request.model";
export const GEN_AI_REQUEST_STREAM = "gen_ai.request.stream";
export const GEN_AI_REQUEST_TEMPERATURE = "gen_ai.request.temperature";
export const GEN_AI_REQUEST_TOP_P = "gen_ai.request.top_p";
export const GEN_AI_REQUEST_MAX_TOKENS = "gen_ai.request.max_tokens";
export const GEN_AI_RESPONSE_MODEL = "gen_ai.response.model";
export const GEN_AI_RESPONSE_ID = "gen_ai.response.id";
export const GEN_AI_RESPONSE_FINISH_REASONS = "gen_ai.response.finish_reasons";
export const GEN_AI_RESPONSE_TIME_TO_FIRST_CHUNK = "gen_ai.response.time_to_first_chunk";
export const GEN_AI_USAGE_INPUT_TOKENS = "gen_ai.usage.input_tokens";
export const GEN_AI_USAGE_OUTPUT_TOKENS = "gen_ai.usage.output_tokens";
export const ERROR_TYPE = "error.type";

export const MODELGATE_REQUEST_ID = "modelgate.request.id";
export const MODELGATE_CALLER_ID = "modelgate.caller.id";
export const MODELGATE_DEPLOYMENT = "modelgate.deployment";
/** The provider as the config names it (e.g. "openai-eu"); `gen_ai.provider.name` is its vendor. */
export const MODELGATE_PROVIDER = "modelgate.provider";
export const MODELGATE_ATTEMPTS = "modelgate.attempts";
export const MODELGATE_COST_MICRO_USD = "modelgate.cost_micro_usd";
export const MODELGATE_ANSWER_SOURCE = "modelgate.answer.source";
export const MODELGATE_ATTEMPT_OUTCOME = "modelgate.attempt.outcome";
export const MODELGATE_ATTEMPT_RETRY = "modelgate.attempt.retry";
export const MODELGATE_ATTEMPT_WAITED_MS = "modelgate.attempt.waited_for_connection_ms";

/** The operation every completion is: a chat (the conventions' name for chat-completion APIs). */
export const CHAT_OPERATION = "chat";

/**
 * The conventions' well-known provider names where one exists (Gemini through AI Studio is `gcp.gemini`);
 * the kind itself otherwise (custom values are allowed).
 */
const providerNames: Record<ProviderKind, string> = {
  openai: "openai",
  "openai-compatible": "openai-compatible",
  anthropic: "anthropic",
  gemini: "gcp.gemini",
  ollama: "ollama",
  echo: "modelgate.echo",
};

export function genAiProviderName(kind: ProviderKind): string {
  return providerNames[kind];
}

/** Token counts the vendor reported; an unknown count is left out, never written as zero. */
export function setUsageAttributes(span: Span, usage: Usage | undefined): void {
  if (usage?.inputTokens !== undefined) span.setAttribute(GEN_AI_USAGE_INPUT_TOKENS, usage.inputTokens);
  if (usage?.outputTokens !== undefined) span.setAttribute(GEN_AI_USAGE_OUTPUT_TOKENS, usage.outputTokens);
}
