import { countTokens } from "gpt-tokenizer";
import { beforeAll, describe, expect, it } from "vitest";
import type { GatewayRequest } from "../gateway/types.js";
import o200kBase from "gpt-tokenizer/bpeRanks/o200k_base";
import { countRequestTokens, countRequestTokensExact, MAX_TOKEN_BYTES, OTHER_VENDOR_FACTOR, PER_MESSAGE_OVERHEAD, preloadTokenizer } from "./estimate-input-tokens.js";
import { testRequest } from "./testing/engine-fixture.js";
import { measureLongestStall } from "./testing/event-loop-stall.js";
import { randomWord } from "./testing/sample-text.js";

const noSpecialTokens = { disallowedSpecial: new Set<string>() };

function requestWith(...texts: string[]): GatewayRequest {
  return testRequest("m", { messages: texts.map((text) => ({ role: "user" as const, parts: [{ type: "text" as const, text }] })) });
}

/** About `length` characters of varied prose in several scripts, with numbers and punctuation. */
function ordinaryPrompt(length: number): string {
  const sentences = [
    "The gateway routes each request to the cheapest deployment that fits its context window.",
    "Die Anfrage wird an die günstigste Bereitstellung weitergeleitet, deren Kontextfenster passt.",
    "网关会把每个请求路由到上下文窗口足够大的最便宜的部署。",
    "Шлюз направляет каждый запрос к самому дешёвому развёртыванию, которое подходит.",
    "const window = deployment.contextWindow - (request.maxOutputTokens ?? 0); // budget",
  ];
  const parts: string[] = [];
  let total = 0;
  for (let index = 0; total < length; index += 1) {
    const sentence = `${index}. ${sentences[index % sentences.length]}\n`;
    parts.push(sentence);
    total += sentence.length;
  }
  return parts.join("");
}

// Measured once with gpt-tokenizer's countTokens on the whole word (which takes over a minute each).
const EXACT_300K_LETTER_A = 37_500;
const EXACT_300K_RANDOM_WORD_SEED_15 = 155_723;

beforeAll(async () => {
  await preloadTokenizer();
  await countRequestTokens(requestWith(ordinaryPrompt(300_000))); // warm up (JIT, GC after the tables load)
});

describe("countRequestTokens", () => {
  it("counts ordinary multilingual messages exactly like the tokenizer, plus the framing", async () => {
    const texts = [ordinaryPrompt(5_000), `Long word: ${randomWord(150, 1)}, and ${randomWord(199, 2)}.`, "Hi 👋 — ¿qué tal? 日本語も。"];
    const exact = countTokens(texts.join("\n"), noSpecialTokens) + texts.length * PER_MESSAGE_OVERHEAD;
    expect(await countRequestTokens(requestWith(...texts))).toBe(exact);
    expect(countRequestTokensExact(requestWith(...texts))).toBe(exact);
  });

  it("estimates bytes ÷ 4 without the tokenizer when no candidate window can be exceeded", async () => {
    const text = "x".repeat(4_000);
    expect(await countRequestTokens(requestWith(text), { exactAbove: 10_000 })).toBe(1_000 + PER_MESSAGE_OVERHEAD);
  });

  it("counts a 300 KB word of one letter exactly", async () => {
    expect(await countRequestTokens(requestWith("a".repeat(300_000)))).toBe(EXACT_300K_LETTER_A + PER_MESSAGE_OVERHEAD);
  });

  it("approximates a 300 KB word of random letters from above, within 1 %", async () => {
    const count = (await countRequestTokens(requestWith(randomWord(300_000, 15)))) - PER_MESSAGE_OVERHEAD;
    expect(count).toBeGreaterThanOrEqual(EXACT_300K_RANDOM_WORD_SEED_15);
    expect(count).toBeLessThanOrEqual(EXACT_300K_RANDOM_WORD_SEED_15 * 1.01);
  });

  it("stops soon after the count passes stopAbove", async () => {
    const count = await countRequestTokens(requestWith(ordinaryPrompt(300_000)), { stopAbove: 5_000 });
    expect(count).toBeGreaterThan(5_000);
    expect(count).toBeLessThan(5_200);
  });

  it("knows the longest token of o200k_base, so bytes ÷ MAX_TOKEN_BYTES is a lower bound of any count", () => {
    const encoder = new TextEncoder();
    const longest = o200kBase.reduce((most: number, token) => Math.max(most, typeof token === "string" ? encoder.encode(token).length : token.length), 0);
    expect(longest).toBe(MAX_TOKEN_BYTES);
  });

  it("does not count a prompt whose bytes already exceed stopAbove's worth of the longest tokens", async () => {
    const text = "x".repeat(300 * 1024);
    const count = await countRequestTokens(requestWith(text), { stopAbove: 1_000 });
    expect(count).toBe(text.length / 4 + PER_MESSAGE_OVERHEAD);
  });

  it("decides by bytes alone when each budget is below the lower bound or fits the upper bound, within the bounds", async () => {
    // A7's case: a 300 KB word, windows of 1,000 and 1,000,000 tokens. The exact count is 38,404.
    const text = "x".repeat(300 * 1024);
    const count = await countRequestTokens(requestWith(text), { budgets: [1_000, 1_000_000], exactAbove: 1_000, stopAbove: 1_000_000 });
    expect(count).toBe(text.length / 4 + PER_MESSAGE_OVERHEAD);
    expect(count).toBeGreaterThan(1_000);
    expect(Math.ceil(count * OTHER_VENDOR_FACTOR)).toBeLessThanOrEqual(1_000_000);
  });

  it("counts exactly when a budget lies between the byte bounds", async () => {
    const count = await countRequestTokens(requestWith("a".repeat(300_000)), { budgets: [1_000, 50_000, 1_000_000], exactAbove: 1_000, stopAbove: 1_000_000 });
    expect(count).toBe(EXACT_300K_LETTER_A + PER_MESSAGE_OVERHEAD);
  });

  it("rejects with the signal's reason once the signal is aborted", async () => {
    const controller = new AbortController();
    const reason = new Error("client went away");
    const counting = countRequestTokens(requestWith(randomWord(300_000, 3)), { signal: controller.signal });
    setTimeout(() => controller.abort(reason), 5);
    const started = performance.now();
    await expect(counting).rejects.toBe(reason);
    expect(performance.now() - started).toBeLessThan(100);
  });

  it.each([
    ["one 300 KB word", (run: number) => randomWord(300_000, 4 + run)],
    ["a 300 KB ordinary prompt", (run: number) => `${run} ${ordinaryPrompt(300_000)}`],
  ])("holds the event loop under 50 ms at a time while counting %s, and finishes within 5 s", async (_name, prompt) => {
    const requests = [0, 1, 2].map((run) => requestWith(prompt(run)));
    const { result, longestStallMs, elapsedMs } = await measureLongestStall((run) => countRequestTokens(requests[run]));
    expect(result).toBeGreaterThan(50_000);
    expect(longestStallMs).toBeLessThan(50);
    expect(elapsedMs).toBeLessThan(5_000);
  });
});
