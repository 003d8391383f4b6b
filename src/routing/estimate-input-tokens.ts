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
 * images add `IMAGE_TOKENS` each (a mid-size image in OpenAI's high-detail tiling). Prompts larger than
 * `EXACT_PREFIX_CHARS` are tokenized exactly on a prefix and extrapolated, so a multi-megabyte
 * prompt does not block the event loop for half a second.
 *
 * The tokenizer's tables cost about 70 MB and its count a few microseconds per kilobyte, so it is loaded
 * and run only when it can change a decision: a BPE token is at least one UTF-8 byte, so when the byte
 * count (× 1.1) already fits the smallest candidate window, no window can be exceeded and the cheap
 * bytes ÷ 4 estimate serves the cost strategies.
 */
import type { GatewayRequest } from "../gateway/types.js";
import type { ProviderKind } from "../providers/spec.js";

export const OTHER_VENDOR_FACTOR = 1.1;
export const PER_MESSAGE_OVERHEAD = 4;
export const IMAGE_TOKENS = 1_000;
export const EXACT_PREFIX_CHARS = 256 * 1024;

/** User text may contain "<|endoftext|>" and the like: count them as text, never throw. */
const noSpecialTokens = { disallowedSpecial: new Set<string>() };

type CountTokens = (text: string, options: typeof noSpecialTokens) => number;
let tokenizer: Promise<CountTokens> | undefined;
let loadedCountTokens: CountTokens | undefined;

/** Loads gpt-tokenizer on first need (see the file comment for why not at start). */
export function preloadTokenizer(): Promise<CountTokens> {
  tokenizer ??= import("gpt-tokenizer").then((module) => {
    loadedCountTokens = module.countTokens as CountTokens;
    return loadedCountTokens;
  });
  return tokenizer;
}

function countText(countTokens: CountTokens, text: string): number {
  if (text.length <= EXACT_PREFIX_CHARS) return countTokens(text, noSpecialTokens);
  const prefix = countTokens(text.slice(0, EXACT_PREFIX_CHARS), noSpecialTokens);
  return Math.ceil((prefix * text.length) / EXACT_PREFIX_CHARS);
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
 * `exactAbove` is the token budget of the tightest candidate window: requests whose byte count cannot
 * exceed it get the bytes ÷ 4 estimate without running the tokenizer.
 */
export async function countRequestTokens(request: GatewayRequest, exactAbove = 0): Promise<number> {
  const { text, extra } = requestInput(request);
  const bytes = Buffer.byteLength(text, "utf8");
  if (Math.ceil(bytes * OTHER_VENDOR_FACTOR) + extra <= exactAbove) return Math.ceil(bytes / 4) + extra;
  return countText(await preloadTokenizer(), text) + extra;
}

/** The exact count, synchronously; `preloadTokenizer()` must have resolved first. */
export function countRequestTokensExact(request: GatewayRequest): number {
  if (loadedCountTokens === undefined) throw new Error("call preloadTokenizer() first");
  const { text, extra } = requestInput(request);
  return countText(loadedCountTokens, text) + extra;
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
