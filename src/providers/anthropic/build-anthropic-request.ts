import type { CallWarning, ModelCall } from "../spec.js";
import { convertToAnthropicMessages } from "./convert-to-anthropic-messages.js";

/**
 * `max_tokens` is required by the Messages API. When the caller sets no limit we send this: large
 * enough for ordinary answers, accepted by every current Claude model. It is our default, not a
 * change to the caller's request, so it carries no warning.
 */
export const defaultAnthropicMaxTokens = 4096;

/** The JSON body for `POST /v1/messages` and the warnings for settings Anthropic cannot honour. */
export interface AnthropicRequest {
  body: Record<string, unknown>;
  warnings: CallWarning[];
}

/**
 * Builds the Messages API request body for one call. Vendor quirks handled here:
 * - `temperature` ranges 0..1 on Anthropic (0..2 elsewhere), so it is clamped with a warning.
 * - There is no `seed`, so a seed becomes a warning.
 * - There is no native JSON mode. For `json`/`json-schema` output we append an instruction (with
 *   the schema) to the system prompt and warn that the format is requested, not enforced.
 * - `tool_choice` is sent only with tools: the API rejects a choice that names no tools.
 */
export function buildAnthropicRequest(call: ModelCall, stream: boolean): AnthropicRequest {
  const prompt = convertToAnthropicMessages(call.messages);
  const warnings: CallWarning[] = [...prompt.warnings];
  const body: Record<string, unknown> = {
    model: call.vendorModel,
    max_tokens: call.sampling.maxOutputTokens ?? defaultAnthropicMaxTokens,
    messages: prompt.messages,
  };

  let system = prompt.system;
  const format = call.responseFormat;
  if (format !== undefined && format.type !== "text") {
    const instruction =
      format.type === "json-schema" && format.schema !== undefined
        ? `Respond only with a JSON value that conforms to this JSON Schema, with no other text:\n${JSON.stringify(format.schema)}`
        : "Respond only with a valid JSON object, with no other text.";
    system = system === undefined ? instruction : `${system}\n\n${instruction}`;
    warnings.push({
      code: "unsupported-setting",
      message:
        "Anthropic has no JSON output mode: the JSON format was requested through the system prompt and is not enforced.",
    });
  }
  if (system !== undefined) body.system = system;

  if (call.tools.length > 0) {
    body.tools = call.tools.map((tool) => ({
      name: tool.name,
      ...(tool.description !== undefined ? { description: tool.description } : {}),
      input_schema: tool.parameters,
    }));
    const choice = call.toolChoice;
    if (choice !== undefined) {
      switch (choice.mode) {
        case "auto":
          body.tool_choice = { type: "auto" };
          break;
        case "required":
          body.tool_choice = { type: "any" };
          break;
        case "none":
          body.tool_choice = { type: "none" };
          break;
        case "tool":
          body.tool_choice =
            choice.toolName === undefined ? { type: "any" } : { type: "tool", name: choice.toolName };
          break;
      }
    }
  }

  const { temperature, topP, stopSequences, seed } = call.sampling;
  if (temperature !== undefined) {
    const clamped = Math.min(1, Math.max(0, temperature));
    if (clamped !== temperature) {
      warnings.push({
        code: "clamped-setting",
        message: `temperature ${temperature} is outside Anthropic's range 0..1 and was sent as ${clamped}.`,
      });
    }
    body.temperature = clamped;
  }
  if (topP !== undefined) body.top_p = topP;
  if (stopSequences.length > 0) body.stop_sequences = stopSequences;
  if (seed !== undefined) {
    warnings.push({ code: "unsupported-setting", message: "Anthropic does not support seed; it was not sent." });
  }
  body.stream = stream;
  return { body, warnings };
}
