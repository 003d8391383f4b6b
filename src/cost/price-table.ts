/**
 * The built-in price table: published list prices per token, in integer nano-USD ($1 = 10⁹ nano-USD,
 * so $2.00 per million tokens = 2 000 nano-USD per token). Integers keep sums exact.
 *
 * THESE MUST BE CHECKED AGAINST THE VENDOR PAGES before each release (openai.com/api/pricing,
 * anthropic.com/pricing#api, ai.google.dev/gemini-api/docs/pricing); bump `PRICE_TABLE_AS_OF` when
 * you do. Known simplifications: Gemini 2.5 Pro's higher tier for prompts over 200k tokens and
 * batch/flex discounts are not modelled (the standard tier is used); `outputNanoUsd` also prices
 * reasoning/thinking tokens, which every vendor bills as output. Local models (Ollama, echo) are not
 * here on purpose: they are priced (even at 0) only when the config says so, never by default.
 * A deployment's `price` in the config always wins over this table.
 */

/** What one token costs, in nano-USD. */
export interface ModelPrice {
  inputNanoUsd: number;
  /** Cache reads; the input price when the vendor has no discount. */
  cachedInputNanoUsd: number;
  /** Cache writes (Anthropic bills 1.25× input for 5-minute writes); the input price when absent. */
  cacheWriteInputNanoUsd?: number;
  outputNanoUsd: number;
  /** When these numbers were last checked (YYYY-MM-DD). */
  asOf: string;
  /** Where they came from. */
  source: string;
}

/** The table's version: the date its prices were last checked against the vendor pages. */
export const PRICE_TABLE_AS_OF = "2025-10-01";

const openai = "https://openai.com/api/pricing (standard tier)";
const anthropic = "https://www.anthropic.com/pricing#api (5-minute cache writes)";
const google = "https://ai.google.dev/gemini-api/docs/pricing (standard, prompts <= 200k)";

function price(
  inputPerMillionUsd: number,
  cachedPerMillionUsd: number,
  outputPerMillionUsd: number,
  source: string,
  cacheWritePerMillionUsd?: number,
): ModelPrice {
  // $ per million tokens -> nano-USD per token: × 10⁹ / 10⁶ = × 1 000.
  const nano = (perMillion: number): number => Math.round(perMillion * 1_000);
  return {
    inputNanoUsd: nano(inputPerMillionUsd),
    cachedInputNanoUsd: nano(cachedPerMillionUsd),
    ...(cacheWritePerMillionUsd === undefined ? {} : { cacheWriteInputNanoUsd: nano(cacheWritePerMillionUsd) }),
    outputNanoUsd: nano(outputPerMillionUsd),
    asOf: PRICE_TABLE_AS_OF,
    source,
  };
}

/** List prices by vendor model id (without date suffix). */
export const PRICE_TABLE: Readonly<Record<string, ModelPrice>> = {
  "gpt-4.1": price(2.0, 0.5, 8.0, openai),
  "gpt-4.1-mini": price(0.4, 0.1, 1.6, openai),
  "gpt-4.1-nano": price(0.1, 0.025, 0.4, openai),
  "gpt-4o": price(2.5, 1.25, 10.0, openai),
  "gpt-4o-mini": price(0.15, 0.075, 0.6, openai),
  "o4-mini": price(1.1, 0.275, 4.4, openai),
  "claude-opus-4-1": price(15.0, 1.5, 75.0, anthropic, 18.75),
  "claude-sonnet-4-5": price(3.0, 0.3, 15.0, anthropic, 3.75),
  "claude-haiku-4-5": price(1.0, 0.1, 5.0, anthropic, 1.25),
  "claude-3-5-haiku": price(0.8, 0.08, 4.0, anthropic, 1.0),
  "gemini-2.5-pro": price(1.25, 0.125, 10.0, google),
  "gemini-2.5-flash": price(0.3, 0.03, 2.5, google),
  "gemini-2.5-flash-lite": price(0.1, 0.01, 0.4, google),
};

/** A dated or versioned snapshot suffix: "-2025-04-14", "-20250929", "-latest", "-001". */
const SNAPSHOT_SUFFIX = /^-(\d{4}-\d{2}-\d{2}|\d{8}|\d{3}|latest)$/;

/**
 * The list price of a vendor model: an exact id, or a known id followed by a snapshot suffix
 * ("claude-sonnet-4-5-20250929" → "claude-sonnet-4-5"). Undefined when unknown: unknown is unpriced,
 * never free.
 */
export function lookupPrice(vendorModel: string, table: Readonly<Record<string, ModelPrice>> = PRICE_TABLE): ModelPrice | undefined {
  const exact = table[vendorModel];
  if (exact !== undefined) return exact;
  let best: string | undefined;
  for (const name of Object.keys(table)) {
    if (!vendorModel.startsWith(name)) continue;
    if (!SNAPSHOT_SUFFIX.test(vendorModel.slice(name.length))) continue;
    if (best === undefined || name.length > best.length) best = name;
  }
  return best === undefined ? undefined : table[best];
}
