import type { CallWarning, ChatMessage, ContentPart } from "../spec.js";

/** A content part of an OpenAI user message. */
export type OpenAIContentPart =
  | { type: "text"; text: string }
  | { type: "image_url"; image_url: { url: string } };

/** One message of OpenAI's `messages` array, as we send it. */
export type OpenAIMessage =
  | { role: "system"; content: string }
  | { role: "user"; content: string | OpenAIContentPart[] }
  | {
      role: "assistant";
      content: string | null;
      tool_calls?: Array<{ id: string; type: "function"; function: { name: string; arguments: string } }>;
    }
  | { role: "tool"; tool_call_id: string; content: string };

function textOf(parts: ContentPart[]): string {
  return parts.map((part) => (part.type === "text" ? part.text : "")).join("");
}

/** Guesses an image's media type from its first bytes when the caller did not give one. */
function sniffImageType(data: Uint8Array): string | undefined {
  const starts = (...bytes: number[]) => bytes.every((byte, at) => data[at] === byte);
  if (starts(0x89, 0x50, 0x4e, 0x47)) return "image/png";
  if (starts(0xff, 0xd8, 0xff)) return "image/jpeg";
  if (starts(0x47, 0x49, 0x46, 0x38)) return "image/gif";
  if (starts(0x52, 0x49, 0x46, 0x46) && data[8] === 0x57 && data[9] === 0x45 && data[10] === 0x42 && data[11] === 0x50) {
    return "image/webp";
  }
  return undefined;
}

function imageUrl(part: Extract<ContentPart, { type: "image" }>): string | undefined {
  if (part.data !== undefined) {
    const mediaType = part.mediaType ?? sniffImageType(part.data) ?? "application/octet-stream";
    return `data:${mediaType};base64,${Buffer.from(part.data).toString("base64")}`;
  }
  return part.url;
}

/**
 * Converts our messages to OpenAI Chat Completions messages. Images become `image_url` parts (inline
 * bytes as a `data:` URL, which OpenAI accepts in place of a link). Assistant tool calls keep their
 * arguments as the JSON string OpenAI expects; a tool-calling turn without text sends `content: null`
 * as OpenAI does itself. Images outside user turns cannot be sent: they are dropped with a warning.
 */
export function convertToOpenAIMessages(messages: ChatMessage[]): { messages: OpenAIMessage[]; warnings: CallWarning[] } {
  const warnings: CallWarning[] = [];
  const result: OpenAIMessage[] = [];
  for (const message of messages) {
    const hasImage = message.parts.some((part) => part.type === "image");
    if (hasImage && message.role !== "user") {
      warnings.push({ code: "unsupported-setting", message: `Images in ${message.role} messages are not supported by OpenAI and were dropped.` });
    }
    switch (message.role) {
      case "system":
        result.push({ role: "system", content: textOf(message.parts) });
        break;
      case "user": {
        if (!hasImage) {
          result.push({ role: "user", content: textOf(message.parts) });
          break;
        }
        const content: OpenAIContentPart[] = [];
        for (const part of message.parts) {
          if (part.type === "text") {
            content.push({ type: "text", text: part.text });
            continue;
          }
          const url = imageUrl(part);
          if (url === undefined) {
            warnings.push({ code: "unsupported-setting", message: "An image with neither url nor data was dropped." });
            continue;
          }
          content.push({ type: "image_url", image_url: { url } });
        }
        result.push({ role: "user", content });
        break;
      }
      case "assistant": {
        const text = textOf(message.parts);
        const toolCalls = message.toolCalls ?? [];
        if (toolCalls.length === 0) {
          result.push({ role: "assistant", content: text });
          break;
        }
        result.push({
          role: "assistant",
          content: text === "" ? null : text,
          tool_calls: toolCalls.map((call) => ({
            id: call.id,
            type: "function",
            function: { name: call.name, arguments: call.argumentsJson },
          })),
        });
        break;
      }
      case "tool":
        result.push({ role: "tool", tool_call_id: message.toolCallId ?? "", content: textOf(message.parts) });
        break;
    }
  }
  return { messages: result, warnings };
}
