/**
 * Replaces the PII in a request's content by typed placeholders before it leaves for a vendor: the text
 * of user, assistant and tool messages and the arguments of earlier tool calls (system prompts are the
 * operator's own words and stay). One value keeps one placeholder across the whole request (`[EMAIL_1]`
 * each time the same address appears), so the model can still tell people apart. The values are not kept:
 * a vendor's answer that repeats a placeholder reaches the caller as the placeholder.
 */
import type { GatewayRequest } from "../gateway/types.js";
import type { ChatMessage, ContentPart } from "../providers/spec.js";
import { findPii, type PiiType } from "./detectors.js";

export interface RedactedRequest {
  request: GatewayRequest;
  /** Occurrences replaced, by type; empty when nothing was found. Never the values. */
  counts: Partial<Record<PiiType, number>>;
}

const placeholderNames: Record<PiiType, string> = { email: "EMAIL", phone: "PHONE", card: "CARD", iban: "IBAN", ssn: "SSN" };

/** The request with every detected identifier of `types` replaced; the same object when none was found. */
export function redactRequest(request: GatewayRequest, types: ReadonlySet<PiiType>): RedactedRequest {
  const counts: Partial<Record<PiiType, number>> = {};
  const placeholders = new Map<string, string>();
  const numbered: Partial<Record<PiiType, number>> = {};
  let changed = false;

  const redact = (text: string): string => {
    const spans = findPii(text, types);
    if (spans.length === 0) return text;
    changed = true;
    let out = "";
    let from = 0;
    for (const span of spans) {
      const value = text.slice(span.start, span.end);
      const key = `${span.type}\u0000${span.type === "email" ? value.toLowerCase() : value.replace(/\D/g, "") || value}`;
      let placeholder = placeholders.get(key);
      if (placeholder === undefined) {
        numbered[span.type] = (numbered[span.type] ?? 0) + 1;
        placeholder = `[${placeholderNames[span.type]}_${numbered[span.type]}]`;
        placeholders.set(key, placeholder);
      }
      counts[span.type] = (counts[span.type] ?? 0) + 1;
      out += text.slice(from, span.start) + placeholder;
      from = span.end;
    }
    return out + text.slice(from);
  };

  const redactPart = (part: ContentPart): ContentPart => (part.type === "text" ? { ...part, text: redact(part.text) } : part);
  const redactMessage = (message: ChatMessage): ChatMessage => {
    if (message.role === "system") return message;
    return {
      ...message,
      parts: message.parts.map(redactPart),
      toolCalls: message.toolCalls?.map((call) => ({ ...call, argumentsJson: redact(call.argumentsJson) })),
    };
  };
  const messages = request.messages.map(redactMessage);
  return { request: changed ? { ...request, messages } : request, counts };
}
