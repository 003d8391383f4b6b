/**
 * The matches of a global regular expression in a long text, found window by window so that a caller can
 * let the event loop run between windows, and exactly the matches `text.matchAll(pattern)` finds.
 *
 * Why the result is exact: a scan tries one start position after another and takes the first that
 * matches. Each window is the text's prefix `text.slice(0, limit)` (lookbehinds see the real text), and
 * an attempt that starts before the window's `safe` bound reads nothing at or past `limit`, so it succeeds
 * or fails there exactly as in the whole text. A match found before `safe` is therefore the whole text's
 * next match; when none is, every start before `safe` fails in the whole text too, and the next window
 * resumes at `safe`. The pattern's `safeEnd` states how far its attempts read: a bounded pattern reads at
 * most a fixed number of characters from where it starts, so `safe` is `limit` minus that number.
 */

/** Where an attempt may start so that it reads only `text[0, limit)`: every start before the result. */
export type SafeEnd = (text: string, limit: number) => number;

/** Yielded after each window: a point where the caller may pause. */
export const WINDOW_END = Symbol("window end");

/** `safeEnd` of a pattern whose attempts read at most `reach` characters from their start. */
export function boundedReach(reach: number): SafeEnd {
  return (_text, limit) => limit - reach;
}

function isHighSurrogate(code: number): boolean {
  return code >= 0xd800 && code <= 0xdbff;
}

function isLowSurrogate(code: number): boolean {
  return code >= 0xdc00 && code <= 0xdfff;
}

/**
 * Every match of `pattern` (which must have the `g` flag and never match empty) in `text`, in order, with
 * `WINDOW_END` after each window of about `windowChars` characters; `Infinity` scans the text in one
 * window. The pattern's `lastIndex` is set before each use, so scans may share it across pauses.
 */
export function* scanInWindows(text: string, pattern: RegExp, safeEnd: SafeEnd, windowChars: number): Generator<RegExpExecArray | typeof WINDOW_END, void, undefined> {
  let position = 0;
  while (position < text.length) {
    const limit = Math.min(text.length, position + windowChars);
    const safe = limit === text.length ? limit : safeEnd(text, limit);
    if (safe <= position) throw new Error(`window of ${windowChars} characters too small for ${pattern.source.slice(0, 40)}`);
    const view = limit === text.length ? text : text.slice(0, limit);
    for (;;) {
      pattern.lastIndex = position;
      const match = pattern.exec(view);
      if (match === null || match.index >= safe) break;
      position = match.index + match[0].length;
      yield match;
    }
    if (position < safe) {
      position = safe;
      // A unicode scan never starts between the halves of a surrogate pair (the start before was tried).
      if (pattern.unicode && isLowSurrogate(text.charCodeAt(position)) && isHighSurrogate(text.charCodeAt(position - 1))) position += 1;
    }
    yield WINDOW_END;
  }
}
