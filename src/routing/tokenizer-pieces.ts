/**
 * Cuts text into short pieces whose token counts add up to the count of the whole, so a BPE tokenizer
 * (whose cost grows with the square of a pre-token's length) runs in time linear in the text.
 *
 * o200k_base first splits text with a regular expression (the pre-tokenizer) and then runs BPE inside
 * each pre-token, so a cut at a pre-token boundary leaves the count unchanged provided both sides
 * pre-tokenize the same on their own. Two kinds of position are such boundaries whatever surrounds them:
 * - a non-space character followed by a space or tab (any whitespace but CR or LF, which a punctuation
 *   pre-token may swallow): no pre-token continues from a non-space into a space, and the one assertion
 *   of the pattern, `\s+(?!\S)`, reads the end of text differently only after whitespace;
 * - a letter or digit followed by anything but a letter, digit, combining mark or `'` (the start of a
 *   contraction such as `'s`): word and number pre-tokens end there. This cuts text without spaces
 *   (Chinese, Japanese, code, base64) at its punctuation.
 * A stretch of more than `maxChars` without either is cut every `maxChars` characters anyway (never
 * inside a surrogate pair); only there is the sum an approximation (see `estimate-input-tokens.ts`).
 */

/** The longest piece; runs longer than this without a safe cut are where counts become approximate. */
export const MAX_PIECE_CHARS = 200;

const safeCut = /(?<=\S)(?=[^\S\r\n])|(?<=[\p{L}\p{N}])(?=[^\p{L}\p{N}\p{M}'])/gu;

/** The last safe cut in `(start, start + maxChars]`, or undefined. */
function lastSafeCut(text: string, start: number, maxChars: number): number | undefined {
  // Two characters past the limit, so the lookahead at the limit sees a whole code point.
  const window = text.slice(start, start + maxChars + 2);
  let last: number | undefined;
  for (const match of window.matchAll(safeCut)) {
    if (match.index > maxChars) break;
    if (match.index > 0) last = match.index;
  }
  return last === undefined ? undefined : start + last;
}

function isHighSurrogate(code: number): boolean {
  return code >= 0xd800 && code <= 0xdbff;
}

/** The pieces of `text` in order; joined they give `text` back. */
export function* tokenizerPieces(text: string, maxChars = MAX_PIECE_CHARS): Generator<string, void, undefined> {
  let start = 0;
  while (text.length - start > maxChars) {
    let end = lastSafeCut(text, start, maxChars) ?? start + maxChars;
    if (isHighSurrogate(text.charCodeAt(end - 1))) end -= 1;
    yield text.slice(start, end);
    start = end;
  }
  if (start < text.length) yield text.slice(start);
}
