import { describe, expect, it } from "vitest";
import { boundedReach, scanInWindows, WINDOW_END } from "./scan-in-windows.js";

/** The matches a windowed scan yields, as [index, text] pairs, and how many windows it took. */
function scanned(text: string, pattern: RegExp, reach: number, windowChars: number): { matches: [number, string][]; windows: number } {
  const matches: [number, string][] = [];
  let windows = 0;
  for (const match of scanInWindows(text, pattern, boundedReach(reach), windowChars)) {
    if (match === WINDOW_END) windows += 1;
    else matches.push([match.index, match[0]]);
  }
  return { matches, windows };
}

const wholeText = (text: string, pattern: RegExp): [number, string][] => [...text.matchAll(pattern)].map((match) => [match.index, match[0]]);

describe("scanInWindows", () => {
  // Digits with single separators, bounded by non-word characters: 13 to 19 digits, so at most 37 characters.
  const cardLike = /(?<![\w-])\d(?:[ -]?\d){12,18}(?![\w-])/g;

  it("finds a match that spans the cut between two windows", () => {
    const value = "4111 1111 1111 1111";
    const text = `${"x ".repeat(50)}${value} and more words after it`;
    // The first window ends at 110, inside the number (100 to 119).
    const { matches, windows } = scanned(text, cardLike, 40, 110);
    expect(matches).toEqual([[100, value]]);
    expect(windows).toBeGreaterThan(1);
  });

  it("finds what matchAll finds, window size whatever, on text where matches tile and overlap candidates", () => {
    // "1 1 1 …": the whole-text scan takes 37-character matches one after another, so its phase matters.
    const texts = ["1 ".repeat(2_000), `${"4111-1111-1111-1111 ".repeat(300)}x`, "12 345 6789 0123 4567 8 ".repeat(200), "a1b2 3 4 5 6 7 8 9 0 1 2 3 4".repeat(100)];
    for (const text of texts) {
      const expected = wholeText(text, cardLike);
      for (const windowChars of [41, 50, 97, 256, 1_000, Number.POSITIVE_INFINITY]) expect(scanned(text, cardLike, 40, windowChars).matches).toEqual(expected);
    }
  });

  it("scans a unicode pattern window by window without starting inside a surrogate pair", () => {
    const letters = /(?<!\p{L})\p{L}{3}(?!\p{L})/gu;
    const text = "𝐀𝐁𝐂 ab 𝐗𝐘𝐙 abc ".repeat(400);
    const expected = wholeText(text, letters);
    for (const windowChars of [20, 33, 101]) expect(scanned(text, letters, 12, windowChars).matches).toEqual(expected);
  });

  it("refuses a window no larger than the pattern's reach", () => {
    expect(() => scanned("1 ".repeat(100), cardLike, 40, 40)).toThrow(/too small/);
  });
});
