/**
 * Input-token estimates for the context-window filter and cost estimates.
 *
 * The count is exact only for OpenAI's current models: gpt-tokenizer's default encoding is o200k_base
 * (gpt-4o, gpt-4.1, o-series). Anthropic, Gemini and local models use their own tokenizers, which
 * nobody can run offline for all of them; for those we take the o200k count × `OTHER_VENDOR_FACTOR`
 * (1.1). Claude and Gemini tokenizers produce roughly 0–20 % more tokens than o200k on English and
 * code, so 1.1 errs toward filtering a deployment that might just have fit rather than sending a
 * request that the vendor rejects; a wrong guess is caught anyway by the `context-length-exceeded`
 * fallback rule (only deployments with a larger window are tried next).
 *
 * Message framing adds `PER_MESSAGE_OVERHEAD` tokens per message (OpenAI's chat format uses 3–4);
 * images add `IMAGE_TOKENS` each (a mid-size image in OpenAI's high-detail tiling).
 *
 * BPE costs the square of a pre-token's length, so one 300 KB word held the event loop for a minute.
 * The text is therefore counted in `tokenizerPieces` (at most `MAX_PIECE_CHARS`, cut where the
 * pre-tokenizer cuts, so the sum is exact for ordinary text), yielding to the event loop every
 * `SLICE_MS`, checking the call's signal and stopping once the count passes the largest candidate
 * window. A run of more than `MAX_PIECE_CHARS` with no cut (one huge word, a long stretch of spaces) is
 * counted that many characters at a time: an approximation that errs upward, by under 1 % on letters,
 * digits, CJK, emoji and punctuation and by about a quarter on spaces (`tokenizer-pieces.test.ts`).
 *
 * The tokenizer's tables cost about 70 MB and loading them holds the event loop for about 200 ms, and its
 * count takes a few microseconds per kilobyte, so it is loaded and run only when it can change a decision.
 * A token is at least one UTF-8 byte and at most `MAX_TOKEN_BYTES`, so the byte count bounds the count
 * from both sides: when every candidate budget is either below the lower bound (exceeded whatever the
 * exact count) or at least the upper bound × 1.1 (fits whatever it is), the cheap bytes ÷ 4 estimate, held
 * within the bounds, serves the cost strategies. Given every budget (`CountOptions.budgets`), a 300 KB
 * prompt against windows of 1,000 and 1,000,000 tokens is decided so (issue 15, reliability row A7); given
 * only the tightest and the largest, only when the lower bound already exceeds the largest.
 */
import { setImmediate as nextTurn } from "node:timers/promises";
import type { GatewayRequest } from "../gateway/types.js";
import type { ProviderKind } from "../providers/spec.js";
import { tokenizerPieces } from "./tokenizer-pieces.js";

export const OTHER_VENDOR_FACTOR = 1.1;
export const PER_MESSAGE_OVERHEAD = 4;
export const IMAGE_TOKENS = 1_000;
/** The longest o200k_base token in UTF-8 bytes (128 spaces; checked against the tables by the test). */
export const MAX_TOKEN_BYTES = 128;
/** The longest the count holds the event loop before it yields. */
export const SLICE_MS = 3;

/** User text may contain "<|endoftext|>" and the like: count them as text, never throw. */
const noSpecialTokens = { disallowedSpecial: new Set<string>() };

type CountTokens = (text: string, options: typeof noSpecialTokens) => number;
let tokenizer: Promise<CountTokens> | undefined;
let loadedCountTokens: CountTokens | undefined;

/**
 * The tokenizer remembers the tokens of each distinct pre-token (and so of each piece cut from a huge
 * word); its default 100,000 entries of 200 random letters pin about 140 MB for good, 10,000 about 15 MB
 * at no measurable cost on ordinary text.
 */
const MERGE_CACHE_ENTRIES = 10_000;

/** Loads gpt-tokenizer on first need (see the file comment for why not at start). */
export function preloadTokenizer(): Promise<CountTokens> {
  tokenizer ??= import("gpt-tokenizer").then((module) => {
    module.setMergeCacheSize(MERGE_CACHE_ENTRIES);
    loadedCountTokens = module.countTokens as CountTokens;
    return loadedCountTokens;
  });
  return tokenizer;
}

export interface CountOptions {
  /**
   * Every candidate input budget (window minus output). When the byte bounds decide each of them, the
   * count is an estimate within those bounds and the tokenizer is not run (see the file comment).
   */
  budgets?: readonly number[];
  /** The tightest candidate input budget: requests whose byte count cannot exceed it get bytes ÷ 4. */
  exactAbove?: number;
  /** The largest candidate input budget: counting stops once the count passes it (every window is exceeded). */
  stopAbove?: number;
  /** Checked between slices; when aborted the count rejects with its reason. */
  signal?: AbortSignal;
}

/**
 * Counts `text` piece by piece, yielding to the event loop every `SLICE_MS`. Stops early once the count
 * passes `stopAbove`; rejects with the signal's reason once it is aborted.
 */
async function countTextInSlices(countTokens: CountTokens, text: string, stopAbove: number, signal?: AbortSignal): Promise<number> {
  signal?.throwIfAborted();
  let count = 0;
  let sliceStart = performance.now();
  for (const piece of tokenizerPieces(text)) {
    count += countTokens(piece, noSpecialTokens);
    if (count > stopAbove) break;
    if (performance.now() - sliceStart >= SLICE_MS) {
      await nextTurn();
      signal?.throwIfAborted();
      sliceStart = performance.now();
    }
  }
  return count;
}

/** Everything the request sends as input, as one text, plus the fixed extras (framing, images). */
function requestInput(request: GatewayRequest): { text: string; extra: number } {
  const texts: string[] = [];
  let extra = 0;
  for (const message of request.messages) {
    extra += PER_MESSAGE_OVERHEAD;
    for (const part of message.parts) {
      if (part.type === "text") texts.push(part.text);
      else extra += IMAGE_TOKENS;
    }
    for (const call of message.toolCalls ?? []) texts.push(call.name, call.argumentsJson);
  }
  if (request.tools.length > 0) texts.push(JSON.stringify(request.tools));
  if (request.responseFormat?.schema !== undefined) texts.push(JSON.stringify(request.responseFormat.schema));
  return { text: texts.join("\n"), extra };
}

/**
 * The o200k_base count of everything the request sends as input: messages, tool definitions, schema.
 * Past `stopAbove` the result is only a lower bound that already exceeds it.
 */
export async function countRequestTokens(request: GatewayRequest, options: CountOptions = {}): Promise<number> {
  const { text, extra } = requestInput(request);
  const bytes = Buffer.byteLength(text, "utf8");
  const estimate = Math.ceil(bytes / 4) + extra;
  if (Math.ceil(bytes * OTHER_VENDOR_FACTOR) + extra <= (options.exactAbove ?? 0)) return estimate;
  const lower = Math.ceil(bytes / MAX_TOKEN_BYTES) + extra;
  // Past the largest budget every window is exceeded, and a lower bound is all the contract promises there.
  if (lower > (options.stopAbove ?? Number.POSITIVE_INFINITY)) return Math.max(estimate, lower);
  const upper = bytes + extra;
  if (options.budgets !== undefined && options.budgets.every((budget) => lower > budget || Math.ceil(upper * OTHER_VENDOR_FACTOR) <= budget)) {
    return Math.min(Math.max(estimate, lower), upper);
  }
  const countTokens = await preloadTokenizer();
  const stopAbove = (options.stopAbove ?? Number.POSITIVE_INFINITY) - extra;
  return (await countTextInSlices(countTokens, text, stopAbove, options.signal)) + extra;
}

/** The same count synchronously, for tests and small inputs; `preloadTokenizer()` must have resolved first. */
export function countRequestTokensExact(request: GatewayRequest): number {
  if (loadedCountTokens === undefined) throw new Error("call preloadTokenizer() first");
  const { text, extra } = requestInput(request);
  let count = extra;
  for (const piece of tokenizerPieces(text)) count += loadedCountTokens(piece, noSpecialTokens);
  return count;
}

/** Whether o200k counts are exact for this deployment's model. */
export function isOpenAIFamily(providerKind: ProviderKind, vendorModel: string): boolean {
  if (providerKind === "openai") return true;
  return /^(gpt-|chatgpt-|o\d)/.test(vendorModel);
}

/** The estimate for one deployment: exact for OpenAI-family models, × 1.1 for everyone else. */
export function estimateInputTokensFor(baseCount: number, providerKind: ProviderKind, vendorModel: string): number {
  return isOpenAIFamily(providerKind, vendorModel) ? baseCount : Math.ceil(baseCount * OTHER_VENDOR_FACTOR);
}
