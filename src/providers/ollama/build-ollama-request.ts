import type { CallWarning, ModelCall } from "../spec.js";
import { convertToOllamaMessages } from "./convert-to-ollama-messages.js";

/** The JSON body for `POST /api/chat` and the warnings for the call. */
export interface OllamaRequest {
  body: Record<string, unknown>;
  warnings: CallWarning[];
}

/**
 * Builds an Ollama `/api/chat` body. Quirks handled here:
 * - `stream` is always sent: Ollama streams when it is absent, so `complete` must say `false`.
 * - Sampling lives in `options` (Modelfile parameter names): `temperature`, `top_p`, `num_predict`
 *   (the output limit), `stop`, `seed`.
 * - JSON output is `format`: `"json"` or the JSON Schema itself.
 * - There is no tool choice. `none` is honoured by not sending the tools; `required` or a named
 *   tool cannot be forced, so they become a warning and the model decides (as with `auto`).
 */
export function buildOllamaRequest(call: ModelCall, stream: boolean): OllamaRequest {
  const prompt = convertToOllamaMessages(call.messages);
  const warnings: CallWarning[] = [...prompt.warnings];
  const body: Record<string, unknown> = { model: call.vendorModel, messages: prompt.messages, stream };

  const choice = call.toolChoice;
  if (call.tools.length > 0 && choice?.mode !== "none") {
    body.tools = call.tools.map((tool) => ({
      type: "function",
      function: {
        name: tool.name,
        ...(tool.description !== undefined ? { description: tool.description } : {}),
        parameters: tool.parameters,
      },
    }));
    if (choice !== undefined && (choice.mode === "required" || choice.mode === "tool")) {
      warnings.push({
        code: "unsupported-setting",
        message: `Ollama has no tool choice: tool choice "${choice.mode}" was not enforced and the model may answer without calling a tool.`,
      });
    }
  }

  const format = call.responseFormat;
  if (format?.type === "json") body.format = "json";
  if (format?.type === "json-schema") body.format = format.schema ?? "json";

  const { temperature, topP, maxOutputTokens, stopSequences, seed } = call.sampling;
  const options: Record<string, unknown> = {};
  if (temperature !== undefined) options.temperature = temperature;
  if (topP !== undefined) options.top_p = topP;
  if (maxOutputTokens !== undefined) options.num_predict = maxOutputTokens;
  if (stopSequences.length > 0) options.stop = stopSequences;
  if (seed !== undefined) options.seed = seed;
  if (Object.keys(options).length > 0) body.options = options;

  return { body, warnings };
}
