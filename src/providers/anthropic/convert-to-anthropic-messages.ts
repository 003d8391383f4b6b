import { parseJsonLeniently, asRecord } from "../http/json.js";
import { ProviderError, type CallWarning, type ChatMessage, type ContentPart } from "../spec.js";

/** A content block of an Anthropic Messages API turn (only the kinds modelgate sends). */
export type AnthropicContentBlock =
  | { type: "text"; text: string }
  | {
      type: "image";
      source: { type: "url"; url: string } | { type: "base64"; media_type: string; data: string };
    }
  | { type: "tool_use"; id: string; name: string; input: Record<string, unknown> }
  | {
      type: "tool_result";
      tool_use_id: string;
      content: string | AnthropicContentBlock[];
    };

/** One turn of `messages[]`. Anthropic knows only `user` and `assistant`. */
export interface AnthropicMessage {
  role: "user" | "assistant";
  content: AnthropicContentBlock[];
}

/** The conversation in Anthropic's shape, plus any parts it had to drop. */
export interface AnthropicPrompt {
  /** Top-level `system`; absent when the conversation has no system message. */
  system?: string;
  messages: AnthropicMessage[];
  warnings: CallWarning[];
}

/**
 * Converts modelgate's chat history to Anthropic's `system` + `messages`. Why each rule:
 * - Anthropic has no system role inside `messages`, so every system message is hoisted into the
 *   top-level `system` (joined with blank lines, in order).
 * - A tool result is a `tool_result` block inside a *user* turn; consecutive tool results (the
 *   answers to one parallel call) and a user message that follows them are merged into one user
 *   turn, because the API expects each `tool_use` turn to be answered by the very next user turn.
 * - Empty text blocks are skipped: the API rejects `{"type":"text","text":""}`.
 * - Images go as `url` or `base64` sources; base64 needs a media type, so image bytes without one
 *   are dropped with a warning rather than guessed.
 */
export function convertToAnthropicMessages(messages: ChatMessage[]): AnthropicPrompt {
  const systemTexts: string[] = [];
  const turns: AnthropicMessage[] = [];
  const warnings: CallWarning[] = [];

  function push(role: AnthropicMessage["role"], blocks: AnthropicContentBlock[]): void {
    if (blocks.length === 0) return;
    const last = turns[turns.length - 1];
    if (last !== undefined && last.role === role) last.content.push(...blocks);
    else turns.push({ role, content: blocks });
  }

  for (const message of messages) {
    switch (message.role) {
      case "system": {
        const text = joinText(message.parts, warnings, "system");
        if (text !== "") systemTexts.push(text);
        break;
      }
      case "user":
        push("user", convertParts(message.parts, warnings));
        break;
      case "assistant": {
        const blocks = convertParts(message.parts, warnings);
        for (const call of message.toolCalls ?? []) {
          blocks.push({ type: "tool_use", id: call.id, name: call.name, input: parseToolArguments(call.argumentsJson) });
        }
        push("assistant", blocks);
        break;
      }
      case "tool": {
        if (message.toolCallId === undefined || message.toolCallId === "") {
          throw new ProviderError("invalid-request", "A tool message is missing the id of the call it answers.");
        }
        const content = convertParts(message.parts, warnings);
        const onlyText = content.every((block) => block.type === "text");
        push("user", [
          {
            type: "tool_result",
            tool_use_id: message.toolCallId,
            content: onlyText ? content.map((block) => (block.type === "text" ? block.text : "")).join("\n") : content,
          },
        ]);
        break;
      }
    }
  }

  return {
    ...(systemTexts.length > 0 ? { system: systemTexts.join("\n\n") } : {}),
    messages: turns,
    warnings,
  };
}

function convertParts(parts: ContentPart[], warnings: CallWarning[]): AnthropicContentBlock[] {
  const blocks: AnthropicContentBlock[] = [];
  for (const part of parts) {
    if (part.type === "text") {
      if (part.text !== "") blocks.push({ type: "text", text: part.text });
      continue;
    }
    if (part.url !== undefined) {
      blocks.push({ type: "image", source: { type: "url", url: part.url } });
    } else if (part.data !== undefined && part.mediaType !== undefined) {
      blocks.push({
        type: "image",
        source: { type: "base64", media_type: part.mediaType, data: Buffer.from(part.data).toString("base64") },
      });
    } else {
      warnings.push({
        code: "unsupported-setting",
        message: "An image without a URL or without a media type was dropped: Anthropic needs one of them.",
      });
    }
  }
  return blocks;
}

function joinText(parts: ContentPart[], warnings: CallWarning[], where: string): string {
  if (parts.some((part) => part.type !== "text")) {
    warnings.push({ code: "unsupported-setting", message: `Images in a ${where} message were dropped: Anthropic takes only text there.` });
  }
  return parts
    .flatMap((part) => (part.type === "text" ? [part.text] : []))
    .join("\n");
}

/** Anthropic wants `input` as an object; our calls carry JSON text. */
function parseToolArguments(argumentsJson: string): Record<string, unknown> {
  if (argumentsJson.trim() === "") return {};
  const input = asRecord(parseJsonLeniently(argumentsJson));
  if (input === undefined) {
    throw new ProviderError("invalid-request", "An assistant tool call's arguments are not a JSON object.");
  }
  return input;
}
