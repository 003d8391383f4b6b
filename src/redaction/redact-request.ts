/**
 * Replaces the PII in a request's content by typed placeholders before it leaves for a vendor: the text
 * of user, assistant and tool messages and the arguments of earlier tool calls (system prompts are the
 * operator's own words and stay). One value keeps one placeholder across the whole request (`[EMAIL_1]`
 * each time the same address appears), so the model can still tell people apart. The values are not kept:
 * a vendor's answer that repeats a placeholder reaches the caller as the placeholder.
 */
import { setImmediate as nextTurn } from "node:timers/promises";
import type { GatewayRequest } from "../gateway/types.js";
import type { ChatMessage, ContentPart } from "../providers/spec.js";
import { scanPii, type PiiSpan, type PiiType } from "./detectors.js";

export interface RedactedRequest {
  request: GatewayRequest;
  /** Occurrences replaced, by type; empty when nothing was found. Never the values. */
  counts: Partial<Record<PiiType, number>>;
}

/** The longest the redaction of a large request holds the event loop before it yields. */
export const SLICE_MS = 3;
/**
 * Characters each detector scans between two looks at the clock: a few hundred microseconds of the
 * slowest detector on adversarial text (bench/redaction-cost.ts), and twice the e-mail pattern's reach.
 */
export const WINDOW_CHARS = 32_768;
/** Requests with less content than this are redacted in one go: a few milliseconds at worst. */
export const SYNC_CONTENT_CHARS = 32_768;

const placeholderNames: Record<PiiType, string> = { email: "EMAIL", phone: "PHONE", card: "CARD", iban: "IBAN", ssn: "SSN" };

/** The characters redaction scans in `request`: what decides between the one-go and the sliced path. */
export function redactableChars(request: GatewayRequest): number {
  let chars = 0;
  for (const message of request.messages) {
    if (message.role === "system") continue;
    for (const part of message.parts) if (part.type === "text") chars += part.text.length;
    for (const call of message.toolCalls ?? []) chars += call.argumentsJson.length;
  }
  return chars;
}

/**
 * The redaction in steps: yields where it may pause (after each window of each detector) and returns
 * the same result whatever `windowChars` is.
 */
function* redactInSteps(request: GatewayRequest, types: ReadonlySet<PiiType>, windowChars: number): Generator<void, RedactedRequest, undefined> {
  const counts: Partial<Record<PiiType, number>> = {};
  const placeholders = new Map<string, string>();
  const numbered: Partial<Record<PiiType, number>> = {};
  let changed = false;

  const replace = (text: string, spans: readonly PiiSpan[]): string => {
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
  function* redact(text: string): Generator<void, string, undefined> {
    return replace(text, yield* scanPii(text, types, windowChars));
  }

  const messages: ChatMessage[] = [];
  for (const message of request.messages) {
    if (message.role === "system") {
      messages.push(message);
      continue;
    }
    const parts: ContentPart[] = [];
    for (const part of message.parts) parts.push(part.type === "text" ? { ...part, text: yield* redact(part.text) } : part);
    let toolCalls: ChatMessage["toolCalls"];
    if (message.toolCalls !== undefined) {
      toolCalls = [];
      for (const call of message.toolCalls) toolCalls.push({ ...call, argumentsJson: yield* redact(call.argumentsJson) });
    }
    messages.push({ ...message, parts, toolCalls });
  }
  return { request: changed ? { ...request, messages } : request, counts };
}

/** The request with every detected identifier of `types` replaced; the same object when none was found. */
export function redactRequest(request: GatewayRequest, types: ReadonlySet<PiiType>): RedactedRequest {
  const steps = redactInSteps(request, types, Number.POSITIVE_INFINITY);
  for (;;) {
    const step = steps.next();
    if (step.done) return step.value;
  }
}

/**
 * `redactRequest` for large requests: the same result, computed in slices of about `SLICE_MS` with the
 * event loop running between them. Rejects with the signal's reason once it is aborted.
 */
export async function redactRequestInSlices(request: GatewayRequest, types: ReadonlySet<PiiType>, signal?: AbortSignal): Promise<RedactedRequest> {
  signal?.throwIfAborted();
  const steps = redactInSteps(request, types, WINDOW_CHARS);
  let sliceStart = performance.now();
  for (;;) {
    const step = steps.next();
    if (step.done) return step.value;
    if (performance.now() - sliceStart >= SLICE_MS) {
      await nextTurn();
      signal?.throwIfAborted();
      sliceStart = performance.now();
    }
  }
}
