/**
 * What a simulator reply should look like: the programmable behaviour types, rule matching, and the
 * vendor-neutral resolution of a behaviour into a {@link Reply} (text split into deltas, tool calls,
 * token usage). The wire files turn a Reply into vendor bytes; nothing here knows a vendor's shapes.
 */
import { providerKinds, providerRegistry, type SimulatorWire } from "../providers/registry.js";

/** The vendor protocols the simulator speaks: every wire a kind in the provider registry names. */
export type Vendor = SimulatorWire;

export const VENDORS: readonly Vendor[] = [
  ...new Set(
    providerKinds.flatMap((kind) => {
      const wire = providerRegistry[kind].simulatorWire;
      return wire === undefined ? [] : [wire];
    }),
  ),
];

/** A tool call the simulated model makes; `id` defaults to a vendor-shaped deterministic id. */
export interface SimToolCall {
  name: string;
  arguments: Record<string, unknown>;
  id?: string;
}

/** Token counts to report. `inputTokens` includes `cachedInputTokens`; `outputTokens` includes `reasoningTokens`. */
export interface SimUsage {
  inputTokens: number;
  outputTokens: number;
  cachedInputTokens?: number;
  reasoningTokens?: number;
}

/** A failure to inject. The `*-after` kinds count content events (text/reasoning deltas, tool-call pieces). */
export type SimFault =
  | {
      kind: "status";
      status: number;
      retryAfter?: string;
      retryAfterMs?: number;
      headers?: Record<string, string>;
      message?: string;
      errorType?: string;
      /** OpenAI's `error.code` (the other vendors' error bodies have no such field). */
      errorCode?: string;
    }
  | { kind: "reset" }
  | { kind: "hang" }
  | { kind: "cut-after"; events: number }
  | { kind: "eof-after"; events: number }
  | { kind: "stall-after"; events: number }
  | { kind: "malformed-after"; events: number }
  | { kind: "error-event-after"; events: number; message?: string }
  | { kind: "endless-after"; events: number; maxBytes?: number };

/** How the simulator answers one request. Every field is optional; see docs/simulator.md. */
export interface SimBehavior {
  text?: string;
  reasoning?: string;
  toolCalls?: SimToolCall[];
  usage?: SimUsage | "none";
  finishReason?: string;
  firstTokenDelayMs?: number;
  /** Wait after the headers (and a stream's preamble events), before the first content event or the body. */
  firstContentDelayMs?: number;
  tokenIntervalMs?: number;
  chunkChars?: number;
  splitUtf8?: boolean;
  fault?: SimFault;
  /**
   * The share of matching requests (0..1) the `fault` applies to, drawn independently per request from
   * a generator seeded with the request number, so a run is reproducible; the rest are answered normally.
   */
  faultProbability?: number;
  fixture?: string;
}

/** A behaviour for matching requests; `times` limits it to the next N matches. Newest rules win. */
export interface SimRule {
  vendor?: Vendor;
  model?: string;
  behavior: SimBehavior;
  times?: number;
}

/** A tool call ready to render: arguments as JSON text and as streaming fragments. */
export interface ReplyToolCall {
  id?: string;
  name: string;
  arguments: Record<string, unknown>;
  argumentsJson: string;
  argumentFragments: string[];
}

/** A behaviour resolved against one request: everything a wire file needs, vendor-neutral. */
export interface Reply {
  text: string;
  textDeltas: string[];
  reasoning?: string;
  reasoningDeltas: string[];
  toolCalls: ReplyToolCall[];
  /** Absent when the behaviour asked for `usage: "none"`. */
  usage?: Required<SimUsage>;
  /** Raw vendor finish reason override. */
  finishReason?: string;
}

/** The text a request carried, extracted by the vendor's wire file. */
export interface PromptText {
  lastUserText?: string;
  promptText: string;
}

/** Default fragment size for streamed tool-call arguments when `chunkChars` is not set. */
export const DEFAULT_ARGUMENT_FRAGMENT_CHARS = 8;

/** Rough token estimate: words * 4/3, rounded up, at least 1. Cheap and deterministic. */
export function estimateTokens(text: string): number {
  const words = text.split(/\s+/).filter((word) => word.length > 0).length;
  return Math.max(1, Math.ceil((words * 4) / 3));
}

/** Splits text into word deltas (" word", leading whitespace attached), or fixed code-point chunks. */
export function splitText(text: string, chunkChars?: number): string[] {
  if (text.length === 0) return [];
  if (chunkChars !== undefined && chunkChars > 0) return splitFixed(text, chunkChars);
  return text.match(/\s*\S+|\s+$/g) ?? [text];
}

/** Splits by code points (never inside a surrogate pair), `size` per piece. */
export function splitFixed(text: string, size: number): string[] {
  const points = Array.from(text);
  const pieces: string[] = [];
  for (let i = 0; i < points.length; i += size) pieces.push(points.slice(i, i + size).join(""));
  return pieces;
}

/** Resolves a behaviour for one request into a vendor-neutral reply. */
export function resolveReply(vendor: Vendor, behavior: SimBehavior, prompt: PromptText): Reply {
  const toolCalls = (behavior.toolCalls ?? []).map((call): ReplyToolCall => {
    const argumentsJson = JSON.stringify(call.arguments ?? {});
    return {
      id: call.id,
      name: call.name,
      arguments: call.arguments ?? {},
      argumentsJson,
      argumentFragments: splitFixed(argumentsJson, behavior.chunkChars ?? DEFAULT_ARGUMENT_FRAGMENT_CHARS),
    };
  });
  const text = behavior.text ?? defaultText(vendor, prompt, toolCalls.length > 0);
  const reasoning = behavior.reasoning;
  return {
    text,
    textDeltas: splitText(text, behavior.chunkChars),
    reasoning,
    reasoningDeltas: reasoning === undefined ? [] : splitText(reasoning, behavior.chunkChars),
    toolCalls,
    usage: resolveUsage(behavior.usage, prompt, text, reasoning, toolCalls),
    finishReason: behavior.finishReason,
  };
}

function defaultText(vendor: Vendor, prompt: PromptText, hasToolCalls: boolean): string {
  // A model that calls tools usually says nothing; tests that want both set `text` explicitly.
  if (hasToolCalls) return "";
  const last = prompt.lastUserText?.trim();
  return last ? `You said: ${last}` : `Hello from the ${vendor} simulator.`;
}

function resolveUsage(
  usage: SimBehavior["usage"],
  prompt: PromptText,
  text: string,
  reasoning: string | undefined,
  toolCalls: ReplyToolCall[],
): Required<SimUsage> | undefined {
  if (usage === "none") return undefined;
  if (usage !== undefined) {
    return {
      inputTokens: usage.inputTokens,
      outputTokens: usage.outputTokens,
      cachedInputTokens: usage.cachedInputTokens ?? 0,
      reasoningTokens: usage.reasoningTokens ?? 0,
    };
  }
  const reasoningTokens = reasoning === undefined ? 0 : estimateTokens(reasoning);
  const visible = [text, ...toolCalls.map((call) => `${call.name} ${call.argumentsJson}`)].join(" ");
  return {
    inputTokens: estimateTokens(prompt.promptText),
    outputTokens: estimateTokens(visible) + reasoningTokens,
    cachedInputTokens: 0,
    reasoningTokens,
  };
}

/**
 * The programmed rules and the default behaviour. Stateful (rules with `times` are consumed), so a class.
 * Rules are matched newest first; a rule with `times` is dropped once used up.
 */
export class RuleBook {
  private rules: { rule: SimRule; remaining: number }[] = [];
  private fallback: SimBehavior = {};

  add(rule: SimRule): void {
    this.rules.unshift({ rule, remaining: rule.times ?? Number.POSITIVE_INFINITY });
  }

  setDefault(behavior: SimBehavior): void {
    this.fallback = behavior;
  }

  /** Picks the behaviour for a request and consumes one use of the matching rule. */
  take(vendor: Vendor, model: string): SimBehavior {
    const index = this.rules.findIndex(
      ({ rule }) =>
        (rule.vendor === undefined || rule.vendor === vendor) && (rule.model === undefined || rule.model === model),
    );
    if (index === -1) return this.fallback;
    const entry = this.rules[index];
    entry.remaining -= 1;
    if (entry.remaining <= 0) this.rules.splice(index, 1);
    return entry.rule.behavior;
  }

  clear(): void {
    this.rules = [];
    this.fallback = {};
  }
}

/** Deterministic id characters: the same request number always yields the same ids. */
export interface IdSource {
  next(length: number, alphabet?: string): string;
}

const ALPHANUMERIC = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

/** A seeded mulberry32 generator of numbers in [0, 1). */
function createSeededRandom(seed: number): () => number {
  let state = (seed * 0x9e3779b9) >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * The behaviour request number `requestNumber` gets: `behavior` itself, or without its fault when a
 * `faultProbability` draw (seeded with the request number, a stream independent of the ids') misses.
 */
export function behaviorForRequest(behavior: SimBehavior, requestNumber: number): SimBehavior {
  if (behavior.fault === undefined || behavior.faultProbability === undefined) return behavior;
  const draw = createSeededRandom(requestNumber ^ 0x5eed)();
  if (draw < behavior.faultProbability) return behavior;
  const { fault: _fault, ...healthy } = behavior;
  return healthy;
}

/** A seeded mulberry32 generator; seed with the request number for reproducible ids. */
export function createIdSource(seed: number): IdSource {
  const random = createSeededRandom(seed);
  return {
    next(length, alphabet = ALPHANUMERIC) {
      let out = "";
      for (let i = 0; i < length; i += 1) out += alphabet[Math.floor(random() * alphabet.length)];
      return out;
    },
  };
}
