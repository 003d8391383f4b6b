import { asRecord, parseJsonLeniently } from "../http/json.js";
import { ProviderError, type CallWarning, type ChatMessage, type ContentPart } from "../spec.js";

/** A `Part` of a Gemini `Content` (only the kinds modelgate sends). */
export type GeminiPart =
  | { text: string }
  | { inlineData: { mimeType: string; data: string } }
  | { fileData: { mimeType: string; fileUri: string } }
  | { functionCall: { name: string; args: Record<string, unknown> }; thoughtSignature?: string }
  | { functionResponse: { name: string; response: Record<string, unknown> } };

/** One turn of `contents[]`; the assistant role is called `model`. */
export interface GeminiContent {
  role: "user" | "model";
  parts: GeminiPart[];
}

/** The conversation in Gemini's shape, plus any parts it had to drop. */
export interface GeminiPrompt {
  systemInstruction?: { parts: { text: string }[] };
  contents: GeminiContent[];
  warnings: CallWarning[];
}

/**
 * Gemini 3 refuses a replayed `functionCall` part without the `thoughtSignature` it was generated
 * with (400 "Function call is missing a thought_signature"). modelgate's `ToolCall` does not keep
 * vendor signatures, so for Gemini 3 models the first call of each model turn carries Google's
 * documented sentinel that skips the check (ai.google.dev/gemini-api/docs/thought-signatures).
 * Older models accept the field and ignore it, but it is sent only where needed.
 */
export const skipThoughtSignature = "skip_thought_signature_validator";

const imageTypesByExtension: Record<string, string> = {
  png: "image/png",
  jpg: "image/jpeg",
  jpeg: "image/jpeg",
  gif: "image/gif",
  webp: "image/webp",
  heic: "image/heic",
  heif: "image/heif",
};

/**
 * Converts modelgate's chat history to Gemini's `systemInstruction` + `contents`:
 * - System messages become `systemInstruction` (joined with blank lines, in order).
 * - Assistant tool calls become `functionCall` parts (args as an object) in a `model` turn.
 * - Tool results become `functionResponse` parts in a `user` turn. Gemini matches responses to calls
 *   by *name*, which a tool message may not carry, so a missing `toolName` is found from the
 *   earlier call with the same id. `response` must be an object: a JSON-object result is sent as
 *   is, anything else as `{"result": <value>}`. Consecutive tool results (and a user message that
 *   follows) are merged into one user turn, as Gemini expects one turn answering all the calls.
 * - Images: bytes as `inlineData`, URLs as `fileData` (Gemini needs a MIME type for both; for a
 *   URL it is taken from the file extension when not given). Without one the image is dropped
 *   with a warning.
 */
export function convertToGeminiMessages(messages: ChatMessage[], vendorModel: string): GeminiPrompt {
  const systemTexts: string[] = [];
  const contents: GeminiContent[] = [];
  const warnings: CallWarning[] = [];
  const toolNamesById = new Map<string, string>();
  const needsSignature = /^(models\/)?gemini-3[.-]/.test(vendorModel);

  function push(role: GeminiContent["role"], parts: GeminiPart[]): void {
    if (parts.length === 0) return;
    const last = contents[contents.length - 1];
    if (last !== undefined && last.role === role) last.parts.push(...parts);
    else contents.push({ role, parts });
  }

  for (const message of messages) {
    switch (message.role) {
      case "system": {
        if (message.parts.some((part) => part.type !== "text")) {
          warnings.push({ code: "unsupported-setting", message: "Images in a system message were dropped: Gemini takes only text there." });
        }
        const text = message.parts.flatMap((part) => (part.type === "text" ? [part.text] : [])).join("\n");
        if (text !== "") systemTexts.push(text);
        break;
      }
      case "user":
        push("user", convertParts(message.parts, warnings));
        break;
      case "assistant": {
        const parts = convertParts(message.parts, warnings);
        (message.toolCalls ?? []).forEach((call, position) => {
          toolNamesById.set(call.id, call.name);
          parts.push({
            functionCall: { name: call.name, args: parseToolArguments(call.argumentsJson) },
            ...(needsSignature && position === 0 ? { thoughtSignature: skipThoughtSignature } : {}),
          });
        });
        push("model", parts);
        break;
      }
      case "tool": {
        const name =
          message.toolName ?? (message.toolCallId === undefined ? undefined : toolNamesById.get(message.toolCallId));
        if (name === undefined) {
          throw new ProviderError(
            "invalid-request",
            "A tool message names no tool and answers no earlier call; Gemini needs the tool's name.",
          );
        }
        const text = message.parts.flatMap((part) => (part.type === "text" ? [part.text] : [])).join("\n");
        push("user", [{ functionResponse: { name, response: toResponseObject(text) } }]);
        break;
      }
    }
  }

  return {
    ...(systemTexts.length > 0 ? { systemInstruction: { parts: [{ text: systemTexts.join("\n\n") }] } } : {}),
    contents,
    warnings,
  };
}

function convertParts(parts: ContentPart[], warnings: CallWarning[]): GeminiPart[] {
  const converted: GeminiPart[] = [];
  for (const part of parts) {
    if (part.type === "text") {
      if (part.text !== "") converted.push({ text: part.text });
    } else if (part.data !== undefined && part.mediaType !== undefined) {
      converted.push({ inlineData: { mimeType: part.mediaType, data: Buffer.from(part.data).toString("base64") } });
    } else if (part.url !== undefined && (part.mediaType ?? mediaTypeFromUrl(part.url)) !== undefined) {
      converted.push({ fileData: { mimeType: part.mediaType ?? mediaTypeFromUrl(part.url) ?? "", fileUri: part.url } });
    } else {
      warnings.push({
        code: "unsupported-setting",
        message: "An image without a known media type was dropped: Gemini needs the MIME type of every image.",
      });
    }
  }
  return converted;
}

function mediaTypeFromUrl(url: string): string | undefined {
  const match = /\.([a-z0-9]+)(?:[?#]|$)/i.exec(url);
  return match === null ? undefined : imageTypesByExtension[match[1].toLowerCase()];
}

function parseToolArguments(argumentsJson: string): Record<string, unknown> {
  if (argumentsJson.trim() === "") return {};
  const args = asRecord(parseJsonLeniently(argumentsJson));
  if (args === undefined) {
    throw new ProviderError("invalid-request", "An assistant tool call's arguments are not a JSON object.");
  }
  return args;
}

function toResponseObject(text: string): Record<string, unknown> {
  const parsed = parseJsonLeniently(text);
  return asRecord(parsed) ?? { result: parsed ?? text };
}
