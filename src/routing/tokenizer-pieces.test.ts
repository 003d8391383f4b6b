import { countTokens } from "gpt-tokenizer";
import { describe, expect, it } from "vitest";
import { createSeededRandom } from "../resilience/random.js";
import { randomText } from "./testing/sample-text.js";
import { MAX_PIECE_CHARS, tokenizerPieces } from "./tokenizer-pieces.js";

const noSpecialTokens = { disallowedSpecial: new Set<string>() };
const wholeCount = (text: string) => countTokens(text, noSpecialTokens);
const piecewiseCount = (text: string) => [...tokenizerPieces(text)].reduce((sum, piece) => sum + wholeCount(piece), 0);

const longWords = {
  german: "Donaudampfschifffahrtselektrizitätenhauptbetriebswerkbauunterbeamtengesellschaft".repeat(2),
  url: `https://example.com/${"a1b2c3-d4e5_f6".repeat(9)}?q=${"x".repeat(40)}`,
  base64: randomText("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/", 190, 1),
  letters: randomText("abcdefghijklmnopqrstuvwxyz", 199, 2),
  chinese: randomText("的一是不了人我在有他这中大来上个国到说们为子和你地出道也时年得就那要下以生会自之着去", 150, 3),
};

/** Ordinary text in many scripts and shapes; every sample has a safe cut at least every 200 characters. */
const ordinarySamples: Record<string, string> = {
  english: "It's the gateway's job; they'll retry, we've seen it, I'd say DON'T. Costs: $4.20/1M tokens (2025-10-01).\n\n",
  german: "Über die Brücke gehen Mädchen und Jungen; die Straße ist naß. Grüße aus Köln!\r\n",
  french: "L'homme qu'on appelle « le Maître » n'est pas là : c'est l'été, où êtes-vous ?\n",
  combiningMarks: "Cafe\u0301 nai\u0308ve re\u0301sume\u0301 — \u0928\u092e\u0938\u094d\u0924\u0947 \u0926\u0941\u0928\u093f\u092f\u093e.\n",
  russian: "Съешь же ещё этих мягких французских булок, да выпей чаю.\t\tКонец.\n",
  chinese: "我们今天去公园散步，然后在湖边喝茶。天气很好！你明天有空吗？\n",
  japanese: "吾輩は猫である。名前はまだ無い。どこで生れたかとんと見当がつかぬ。\n",
  arabic: "مرحبا بالعالم، هذا نص تجريبي. الأرقام ١٢٣ و456.\n",
  korean: "안녕하세요, 세계! 오늘은 날씨가 좋네요.\n",
  emoji: "Ship it 🚀🚀 — done ✅ 👩‍👩‍👧 ok 😀! \u3000全角スペース\u00a0nbsp\n",
  code: 'export function f(x: number): string {\n    return `${x}`.padStart(8, "0"); // 00000042\n}\n\n\n        \n',
  json: JSON.stringify({ model: "gpt-4.1", messages: [{ role: "user", content: "Hi" }], temperature: 0.2, n: 123456789 }),
  markdown: "## Title\n\n- item one\n- item two\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n> quote\n\n```ts\nconst a = 1;\n```\n",
  specialTokenText: "Say <|endoftext|> and <|im_start|>user literally.\n",
  longWords: `${Object.values(longWords).join(" and ")} end.\n`,
};

/** Seeded soup of fragments: words end in a letter or digit, so a safe cut follows each. */
function ordinarySoup(seed: number, fragments: number): string {
  const random = createSeededRandom(seed);
  const choose = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)];
  const letters = [..."abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZäöüßéèçñøåЖжΩω日本語中文한국"];
  const middles = [...letters, "'", "-", ".", "\u0301", "’", "_", "0", "7", "'s", "'LL"];
  const before = ["", "", "", "(", '"', "¿", "#", "$", "@", " "];
  const after = [" ", " ", " ", "  ", "\n", "\n\n", "\r\n", "\t", ", ", ". ", "!\n", "?\n\n  ", ";", ":", "/", "…", "。", "，", " 🚀 ", "\u00a0", " 123 ", "...\n", ")\n    "];
  let text = "";
  for (let index = 0; index < fragments; index += 1) {
    const length = 1 + Math.floor(random() * random() * 60);
    let word = choose(before);
    for (let position = 0; position < length; position += 1) word += choose(middles);
    text += word + choose([...letters, "1", "42"]) + choose(after);
  }
  return text;
}

describe("tokenizerPieces", () => {
  it("gives back the text when the pieces are joined", () => {
    for (const text of [...Object.values(ordinarySamples), ordinarySoup(1, 500), "a".repeat(1_001), "", "x"]) {
      expect([...tokenizerPieces(text)].join("")).toBe(text);
    }
  });

  it("makes no piece longer than MAX_PIECE_CHARS", () => {
    const lengths = [...tokenizerPieces(ordinarySoup(2, 2_000) + "a".repeat(5_000))].map((piece) => piece.length);
    expect(Math.max(...lengths)).toBeLessThanOrEqual(MAX_PIECE_CHARS);
  });

  it("never cuts inside a surrogate pair", () => {
    const text = `x${"😀".repeat(1_000)}`;
    for (const piece of tokenizerPieces(text)) {
      expect(piece).not.toMatch(/^[\uDC00-\uDFFF]|[\uD800-\uDBFF]$/);
    }
  });

  it.each(Object.entries(ordinarySamples))("counts %s text exactly like the tokenizer on the whole", (_name, sample) => {
    const text = sample.repeat(Math.ceil(3_000 / sample.length));
    expect(piecewiseCount(text)).toBe(wholeCount(text));
  });

  it.each(Object.entries(longWords))("counts a %s word of 100 to 199 characters exactly", (_name, word) => {
    expect(word.length).toBeGreaterThanOrEqual(100);
    expect(word.length).toBeLessThan(MAX_PIECE_CHARS);
    const text = `Before ${word} after, and again:${word}\n${word}.`;
    expect(piecewiseCount(text)).toBe(wholeCount(text));
  });

  it("counts 100 seeded texts of mixed scripts, marks, contractions and spacing exactly", () => {
    for (let seed = 1; seed <= 100; seed += 1) {
      const text = ordinarySoup(seed, 80);
      expect(piecewiseCount(text), `seed ${seed}`).toBe(wholeCount(text));
    }
  });

  // A run with no safe cut is counted MAX_PIECE_CHARS at a time. Measured with 6,000 characters
  // (the whole count of longer runs takes seconds, which is the defect this module removes).
  it.each([
    ["one letter repeated", "a".repeat(6_000), 0],
    ["random lowercase letters", randomText("abcdefghijklmnopqrstuvwxyz", 6_000, 4), 0.01],
    ["random letters and digits", randomText("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789", 6_000, 5), 0.01],
    ["random hex", randomText("0123456789abcdef", 6_000, 6), 0.01],
    ["Chinese without punctuation", randomText("的一是不了人我在有他这中大来上个国到说们为子和你地出道也时年得就那要下以生会自之着去", 6_000, 7), 0.01],
    ["emoji", randomText("😀😃😄😁😆🤖🚀", 3_000, 8), 0.01],
    ["punctuation", randomText("!?.,;:-_=+*&^%$#@~", 6_000, 9), 0.01],
    ["spaces", `${" ".repeat(6_000)}x`, 0.3],
  ] as const)("approximates a run of %s from above, within the stated margin", (_name, text, margin) => {
    const exact = wholeCount(text);
    const approximate = piecewiseCount(text);
    expect(approximate).toBeGreaterThanOrEqual(exact);
    expect(approximate).toBeLessThanOrEqual(Math.ceil(exact * (1 + margin)));
  });
});
