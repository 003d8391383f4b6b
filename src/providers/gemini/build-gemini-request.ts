import type { CallWarning, ModelCall } from "../spec.js";
import { convertToGeminiMessages } from "./convert-to-gemini-messages.js";

/** The JSON body for `generateContent` / `streamGenerateContent` and the warnings for the call. */
export interface GeminiRequest {
  body: Record<string, unknown>;
  warnings: CallWarning[];
}

/**
 * Builds a Gemini `GenerateContentRequest`. Tools are `functionDeclarations` with the schema in
 * `parametersJsonSchema` (full JSON Schema, not the older OpenAPI subset of `parameters`); tool
 * choice is `toolConfig.functionCallingConfig` (AUTO, ANY, NONE, and ANY restricted to one name via
 * `allowedFunctionNames` for a named tool). JSON output is `responseMimeType: application/json`,
 * plus `responseJsonSchema` for a schema. Sampling, stop sequences, seed and the output limit go in
 * `generationConfig`; Gemini supports all of them, so nothing here warns.
 */
export function buildGeminiRequest(call: ModelCall): GeminiRequest {
  const prompt = convertToGeminiMessages(call.messages, call.vendorModel);
  const body: Record<string, unknown> = { contents: prompt.contents };
  if (prompt.systemInstruction !== undefined) body.systemInstruction = prompt.systemInstruction;

  if (call.tools.length > 0) {
    body.tools = [
      {
        functionDeclarations: call.tools.map((tool) => ({
          name: tool.name,
          ...(tool.description !== undefined ? { description: tool.description } : {}),
          parametersJsonSchema: tool.parameters,
        })),
      },
    ];
    const choice = call.toolChoice;
    if (choice !== undefined) {
      const config =
        choice.mode === "auto"
          ? { mode: "AUTO" }
          : choice.mode === "none"
            ? { mode: "NONE" }
            : choice.mode === "tool" && choice.toolName !== undefined
              ? { mode: "ANY", allowedFunctionNames: [choice.toolName] }
              : { mode: "ANY" };
      body.toolConfig = { functionCallingConfig: config };
    }
  }

  const { temperature, topP, maxOutputTokens, stopSequences, seed } = call.sampling;
  const generationConfig: Record<string, unknown> = {};
  if (temperature !== undefined) generationConfig.temperature = temperature;
  if (topP !== undefined) generationConfig.topP = topP;
  if (maxOutputTokens !== undefined) generationConfig.maxOutputTokens = maxOutputTokens;
  if (stopSequences.length > 0) generationConfig.stopSequences = stopSequences;
  if (seed !== undefined) generationConfig.seed = seed;
  const format = call.responseFormat;
  if (format !== undefined && format.type !== "text") {
    generationConfig.responseMimeType = "application/json";
    if (format.type === "json-schema" && format.schema !== undefined) generationConfig.responseJsonSchema = format.schema;
  }
  if (Object.keys(generationConfig).length > 0) body.generationConfig = generationConfig;

  return { body, warnings: prompt.warnings };
}
