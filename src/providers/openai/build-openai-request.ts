import type { CallWarning, ModelCall } from "../spec.js";
import { convertToOpenAIMessages } from "./convert-to-openai-messages.js";

/** OpenAI accepts at most this many stop sequences. */
const maxStopSequences = 4;

export interface OpenAIRequestOptions {
  stream: boolean;
  /** Name of the output-token limit field: OpenAI's current one, or `max_tokens` for older servers. */
  maxTokensField: "max_completion_tokens" | "max_tokens";
}

/**
 * Builds the Chat Completions request body for a call, and the warnings for what could not be sent
 * as asked. Streams ask for `stream_options.include_usage`, without which OpenAI reports no usage at
 * all in a stream. Only settings the caller set are sent, so the vendor's defaults apply otherwise.
 */
export function buildOpenAIRequest(call: ModelCall, options: OpenAIRequestOptions): { body: Record<string, unknown>; warnings: CallWarning[] } {
  const { messages, warnings } = convertToOpenAIMessages(call.messages);
  const body: Record<string, unknown> = { model: call.vendorModel, messages };
  const sampling = call.sampling;
  if (sampling.temperature !== undefined) body.temperature = sampling.temperature;
  if (sampling.topP !== undefined) body.top_p = sampling.topP;
  if (sampling.maxOutputTokens !== undefined) body[options.maxTokensField] = sampling.maxOutputTokens;
  if (sampling.seed !== undefined) body.seed = sampling.seed;
  if (sampling.stopSequences.length > 0) {
    if (sampling.stopSequences.length > maxStopSequences) {
      warnings.push({
        code: "clamped-setting",
        message: `OpenAI accepts at most ${maxStopSequences} stop sequences; only the first ${maxStopSequences} of ${sampling.stopSequences.length} were sent.`,
      });
    }
    body.stop = sampling.stopSequences.slice(0, maxStopSequences);
  }
  if (call.tools.length > 0) {
    body.tools = call.tools.map((tool) => ({
      type: "function",
      function: {
        name: tool.name,
        ...(tool.description === undefined ? {} : { description: tool.description }),
        parameters: tool.parameters,
      },
    }));
  }
  if (call.toolChoice !== undefined) {
    const choice = call.toolChoice;
    if (choice.mode === "tool") {
      body.tool_choice = { type: "function", function: { name: choice.toolName ?? "" } };
    } else {
      body.tool_choice = choice.mode;
    }
  }
  const format = call.responseFormat;
  if (format?.type === "json") {
    body.response_format = { type: "json_object" };
  } else if (format?.type === "json-schema") {
    body.response_format = {
      type: "json_schema",
      json_schema: {
        name: format.schemaName ?? "response",
        schema: format.schema ?? {},
        ...(format.strict === undefined ? {} : { strict: format.strict }),
      },
    };
  }
  if (options.stream) {
    body.stream = true;
    body.stream_options = { include_usage: true };
  } else {
    body.stream = false;
  }
  return { body, warnings };
}
