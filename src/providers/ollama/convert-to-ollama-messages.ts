import { asRecord, parseJsonLeniently } from "../http/json.js";
import { ProviderError, type CallWarning, type ChatMessage } from "../spec.js";

/** One `/api/chat` message. */
export interface OllamaMessage {
  role: "system" | "user" | "assistant" | "tool";
  content: string;
  /** Base64 image bytes (no data-URL prefix, no media type). */
  images?: string[];
  tool_calls?: { function: { name: string; arguments: Record<string, unknown> } }[];
  /** Tool results: the name of the tool that produced this result. */
  tool_name?: string;
}

/** The conversation in Ollama's shape, plus any parts it had to drop. */
export interface OllamaPrompt {
  messages: OllamaMessage[];
  warnings: CallWarning[];
}

/**
 * Converts modelgate's chat history to Ollama's `messages`. Ollama keeps OpenAI's roles (system in
 * place, `tool` results) but differs where it matters:
 * - Tool-call `arguments` are a JSON *object*, not a string.
 * - A tool result carries `tool_name`, not a call id; a missing name is found from the earlier
 *   call with the same id (and left out if there is none: the field is optional).
 * - Images are bare base64 in `images`; Ollama cannot fetch a URL, so URL images are dropped with
 *   a warning.
 * - Content is one string, so text parts are joined with newlines.
 */
export function convertToOllamaMessages(messages: ChatMessage[]): OllamaPrompt {
  const converted: OllamaMessage[] = [];
  const warnings: CallWarning[] = [];
  const toolNamesById = new Map<string, string>();

  for (const message of messages) {
    const content = message.parts.flatMap((part) => (part.type === "text" ? [part.text] : [])).join("\n");
    const images: string[] = [];
    for (const part of message.parts) {
      if (part.type !== "image") continue;
      if (part.data !== undefined) images.push(Buffer.from(part.data).toString("base64"));
      else {
        warnings.push({
          code: "unsupported-setting",
          message: "An image URL was dropped: Ollama accepts only image bytes, not URLs.",
        });
      }
    }
    const out: OllamaMessage = { role: message.role, content };
    if (images.length > 0) out.images = images;
    if (message.role === "assistant" && message.toolCalls !== undefined && message.toolCalls.length > 0) {
      out.tool_calls = message.toolCalls.map((call) => {
        toolNamesById.set(call.id, call.name);
        return { function: { name: call.name, arguments: parseToolArguments(call.argumentsJson) } };
      });
    }
    if (message.role === "tool") {
      const name = message.toolName ?? (message.toolCallId === undefined ? undefined : toolNamesById.get(message.toolCallId));
      if (name !== undefined) out.tool_name = name;
    }
    converted.push(out);
  }
  return { messages: converted, warnings };
}

function parseToolArguments(argumentsJson: string): Record<string, unknown> {
  if (argumentsJson.trim() === "") return {};
  const args = asRecord(parseJsonLeniently(argumentsJson));
  if (args === undefined) {
    throw new ProviderError("invalid-request", "An assistant tool call's arguments are not a JSON object.");
  }
  return args;
}
