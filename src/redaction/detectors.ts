/**
 * PII detectors: where in a text an e-mail address, a phone number, a payment card number, an IBAN or a
 * US social security number is. Regular expressions find candidates; checksums and shape rules decide:
 * a card number must pass Luhn and start like a card network's (2–6), an IBAN must have its country's
 * length and pass ISO 13616 mod-97, a phone number must have 8–15 digits (E.164) in a phone's shape.
 *
 * Written here rather than taken from npm: the maintained choices are either a vendor SDK client
 * (`redact-pii` pulls in Google Cloud DLP), a framework (`openredaction` brings express and react), or
 * little used; none checks Luhn and mod-97 the way we need without those costs. Measured on the corpus
 * in `pii-corpus.ts` (false positives and negatives in docs/callers.md and the test's output).
 *
 * Bias: in a redaction layer a miss leaks and an extra placeholder costs a little quality, so the phone
 * rules take any 8–15-digit number written with a `+`, a trunk `0` and separators, or the North American
 * shape; bare digit runs without such a sign are left alone (order numbers, ids, amounts).
 */

import { boundedReach, scanInWindows, WINDOW_END, type SafeEnd } from "./scan-in-windows.js";

export const piiTypes = ["email", "phone", "card", "iban", "ssn"] as const;
export type PiiType = (typeof piiTypes)[number];

/** One detected identifier: `text.slice(start, end)`. */
export interface PiiSpan {
  type: PiiType;
  start: number;
  end: number;
}

const digitsOf = (text: string): string => text.replace(/\D/g, "");

/** The Luhn (mod 10) check every payment card number passes. */
export function passesLuhn(digits: string): boolean {
  let sum = 0;
  for (let index = 0; index < digits.length; index++) {
    let digit = digits.charCodeAt(digits.length - 1 - index) - 48;
    if (index % 2 === 1) {
      digit *= 2;
      if (digit > 9) digit -= 9;
    }
    sum += digit;
  }
  return sum % 10 === 0;
}

/** IBAN length by country (ISO 13616 registry), for the countries that issue them. */
const ibanLengths: Record<string, number> = {
  AD: 24, AE: 23, AL: 28, AT: 20, AZ: 28, BA: 20, BE: 16, BG: 22, BH: 22, BR: 29, BY: 28, CH: 21, CR: 22, CY: 28, CZ: 24,
  DE: 22, DK: 18, DO: 28, EE: 20, EG: 29, ES: 24, FI: 18, FO: 18, FR: 27, GB: 22, GE: 22, GI: 23, GL: 18, GR: 27, GT: 28,
  HR: 21, HU: 28, IE: 22, IL: 23, IQ: 23, IS: 26, IT: 27, JO: 30, KW: 30, KZ: 20, LB: 28, LC: 32, LI: 21, LT: 20, LU: 20,
  LV: 21, LY: 25, MC: 27, MD: 24, ME: 22, MK: 19, MR: 27, MT: 31, MU: 30, NL: 18, NO: 15, PK: 24, PL: 28, PS: 29, PT: 25,
  QA: 29, RO: 24, RS: 22, SA: 24, SC: 31, SE: 24, SI: 19, SK: 24, SM: 27, ST: 25, SV: 28, TL: 23, TN: 24, TR: 26, UA: 29,
  VA: 22, VG: 24, XK: 20,
};

/** ISO 13616 / ISO 7064 mod 97-10: the rearranged IBAN, letters as 10–35, leaves 1. */
export function passesIbanChecksum(iban: string): boolean {
  const rearranged = iban.slice(4) + iban.slice(0, 4);
  let remainder = 0;
  for (const character of rearranged) {
    const code = character.charCodeAt(0);
    const value = code >= 65 ? String(code - 55) : character;
    for (const digit of value) remainder = (remainder * 10 + (digit.charCodeAt(0) - 48)) % 97;
  }
  return remainder === 1;
}

/**
 * Local part as people write it (apostrophes included), domain labels in any script (IDN). At most 127
 * labels, as in DNS: the bound keeps how far one attempt reads finite (see `emailSafeEnd`).
 */
const emailPattern = /(?<![\p{L}\p{N}_.%+'-])[\p{L}\p{N}_][\p{L}\p{N}._%+'-]{0,63}@(?:[\p{L}\p{N}](?:[\p{L}\p{N}-]{0,61}[\p{L}\p{N}])?\.){1,126}\p{L}{2,24}(?![\p{L}\p{N}_-]|\.[\p{L}\p{N}])/gu;

/**
 * How far an e-mail attempt reads, in UTF-16 code units (a code point may take two): the local part and
 * `@` (129), 126 labels and their dots (126 × 127), the top-level label (48) and the lookahead (3).
 */
const EMAIL_REACH = 16_384;
/** The local part and its `@`, in code units, plus one. */
const EMAIL_LOCAL_REACH = 130;
const letterOrDigit = /[\p{L}\p{N}]/u;

/** Whether the code unit at `index` may belong to a domain: letter, digit, `.`, `-` (or half of a pair). */
function mayBeInDomain(text: string, index: number): boolean {
  const code = text.charCodeAt(index);
  if (code < 0x80) return (code >= 0x30 && code <= 0x39) || ((code | 0x20) >= 0x61 && (code | 0x20) <= 0x7a) || code === 0x2e || code === 0x2d;
  return (code >= 0xd800 && code <= 0xdfff) || letterOrDigit.test(text[index] as string);
}

/**
 * Where an e-mail attempt may start and read only `text[0, limit)`. Past its `@` (at most 129 code units
 * from its start) an attempt reads domain characters and the one after them, so it stays before `limit`
 * when it starts 130 before the run of domain characters that ends the window; a run longer than the
 * reach leaves the fixed bound.
 */
function emailSafeEnd(text: string, limit: number): number {
  const fixed = limit - EMAIL_REACH;
  let runStart = limit;
  while (runStart > fixed && runStart > 0 && mayBeInDomain(text, runStart - 1)) runStart -= 1;
  return runStart > fixed ? Math.max(fixed, runStart - EMAIL_LOCAL_REACH) : fixed;
}

/** Digits with single spaces or dashes between them; the checks below decide. */
const cardPattern = /(?<![\w-])\d(?:[ -]?\d){12,18}(?![\w-])/g;

function isCard(candidate: string): boolean {
  const digits = digitsOf(candidate);
  if (digits.length < 13 || digits.length > 19 || !/^[2-6]/.test(digits)) return false;
  const separators = candidate.match(/[ -]/g) ?? [];
  if (separators.length > 0) {
    // One kind of separator, between groups of 3 to 6 digits (4-4-4-4, 4-6-5, 4-4-4-4-3).
    if (new Set(separators).size > 1) return false;
    if (!candidate.split(/[ -]/).every((group) => group.length >= 3 && group.length <= 6)) return false;
  }
  return passesLuhn(digits);
}

const ibanStart = /(?<![A-Za-z0-9])([A-Za-z]{2})(\d{2})/g;

/** The IBAN starting at `start` (country letters already matched), written whole or in groups of 4. */
function ibanAt(text: string, start: number, country: string): number | undefined {
  const length = ibanLengths[country];
  if (length === undefined) return undefined;
  let characters = "";
  let index = start;
  while (index < text.length && characters.length < length) {
    const character = text[index] as string;
    if (/[A-Za-z0-9]/.test(character)) {
      characters += character.toUpperCase();
      index++;
    } else if (character === " " && characters.length >= 4 && /[A-Za-z0-9]/.test(text[index + 1] ?? "")) {
      index++;
    } else break;
  }
  if (characters.length !== length || /[A-Za-z0-9]/.test(text[index] ?? "")) return undefined;
  if (!/^[A-Z]{2}\d{2}[A-Z0-9]+$/.test(characters) || !passesIbanChecksum(characters)) return undefined;
  return index;
}

const ssnPattern = /(?<![\w-])(?!000|666|9\d\d)\d{3}-(?!00)\d{2}-(?!0000)\d{4}(?![\w-])/g;

/**
 * Phone shapes: international (`+` or `00` and a country code), North American (`(415) 555-0134`,
 * `415-555-0134`, `1-800-555-0199`), and national numbers with a trunk `0` (`030 1234567`,
 * `06 12 34 56 78`, `07700900123`).
 */
const phonePatterns: { pattern: RegExp; minDigits: number; maxDigits: number }[] = [
  { pattern: /(?<![\w+]|\d[ .-])(?:\+|00(?=[1-9]\d{0,2}[ .-]))[1-9]\d{0,2}(?:[ .-]?\(0\))?(?:[ .-]?\(?\d{1,5}\)?){1,5}(?![\w])/g, minDigits: 8, maxDigits: 15 },
  { pattern: /(?<![\w+.-]|\d[ .-])(?:1[ .-])?(?:\([2-9]\d{2}\)[ .-]?|[2-9]\d{2}([ .-]))\d{3}\1\d{4}(?![\w-]|[ .]\d)/g, minDigits: 10, maxDigits: 11 },
  { pattern: /(?<![\w+.\/-]|\d[ .-])(?:1[ .-])?\([2-9]\d{2}\)[ .-]?\d{3}[ .-]\d{4}(?![\w-]|[ .]\d)/g, minDigits: 10, maxDigits: 11 },
  { pattern: /(?<![\w+.\/-]|\d[ .-])0[1-9]\d{0,3}(?:[ \/-]\d{2,8}){1,4}(?![\w\/-]|\.\d)/g, minDigits: 9, maxDigits: 12 },
  { pattern: /(?<![\w+.-]|\d[ .-])0[1-9]\d{8,9}(?![\w-]|\.\d)/g, minDigits: 10, maxDigits: 11 },
];

function isPhone(candidate: string, minDigits: number, maxDigits: number): boolean {
  const digits = digitsOf(candidate.replace("(0)", ""));
  if (digits.length < minDigits || digits.length > maxDigits) return false;
  // A date or a version, not a number: 2024-05-14, 01/02/2024.
  if (/^\d{1,4}[\/.-]\d{1,2}[\/.-]\d{1,4}$/.test(candidate)) return false;
  return !/^(\d)\1+$/.test(digits.slice(2));
}

/**
 * How far an attempt of the other patterns reads from where it starts: the international phone pattern,
 * the longest, reads 51 characters (a `+`, a 3-digit country code, `(0)`, five groups and the lookahead).
 */
const BOUNDED_REACH = 64;
const boundedSafeEnd = boundedReach(BOUNDED_REACH);

/** The kept spans in order, none overlapping; a new span is kept only when it overlaps none of them. */
function createSpanList(): { spans: PiiSpan[]; add(span: PiiSpan): void } {
  const spans: PiiSpan[] = [];
  return {
    spans,
    add(span) {
      // Kept spans do not overlap, so their ends are in order too: find the first that ends after `start`.
      let low = 0;
      let high = spans.length;
      while (low < high) {
        const middle = (low + high) >>> 1;
        if ((spans[middle] as PiiSpan).end <= span.start) low = middle + 1;
        else high = middle;
      }
      if (low < spans.length && (spans[low] as PiiSpan).start < span.end) return;
      spans.splice(low, 0, span);
    },
  };
}

/**
 * `findPii` in steps: yields after each window of `windowChars` characters of each pattern (see
 * scan-in-windows.ts), where the caller may pause, and returns what `findPii` returns whatever the window
 * size. Windows must be larger than the e-mail pattern's reach (16,384).
 */
export function* scanPii(text: string, types: ReadonlySet<PiiType>, windowChars: number): Generator<void, PiiSpan[], undefined> {
  const found = createSpanList();
  const add = (type: PiiType, start: number, end: number): void => found.add({ type, start, end });
  const scan = (pattern: RegExp, safeEnd: SafeEnd = boundedSafeEnd) => scanInWindows(text, pattern, safeEnd, windowChars);
  if (types.has("email")) {
    for (const match of scan(emailPattern, emailSafeEnd)) {
      if (match === WINDOW_END) yield;
      else add("email", match.index, match.index + match[0].length);
    }
  }
  if (types.has("iban")) {
    for (const match of scan(ibanStart)) {
      if (match === WINDOW_END) {
        yield;
        continue;
      }
      const end = ibanAt(text, match.index, (match[1] as string).toUpperCase());
      if (end !== undefined) add("iban", match.index, end);
    }
  }
  if (types.has("card")) {
    for (const match of scan(cardPattern)) {
      if (match === WINDOW_END) yield;
      else if (isCard(match[0])) add("card", match.index, match.index + match[0].length);
    }
  }
  if (types.has("ssn")) {
    for (const match of scan(ssnPattern)) {
      if (match === WINDOW_END) yield;
      else add("ssn", match.index, match.index + match[0].length);
    }
  }
  if (types.has("phone")) {
    for (const { pattern, minDigits, maxDigits } of phonePatterns) {
      for (const match of scan(pattern)) {
        if (match === WINDOW_END) {
          yield;
          continue;
        }
        // A number in parentheses keeps its closing one outside; an opening one belongs to it.
        let value = match[0];
        let start = match.index;
        if (value.endsWith(")") && !value.slice(0, -1).includes("(")) value = value.slice(0, -1);
        if (value.startsWith("(") && !value.includes(")")) {
          value = value.slice(1);
          start++;
        }
        if (isPhone(value, minDigits, maxDigits)) add("phone", start, start + value.length);
      }
    }
  }
  return found.spans;
}

/** Every detected identifier of `types` in `text`, in order, none overlapping (earlier types win). */
export function findPii(text: string, types: ReadonlySet<PiiType>): PiiSpan[] {
  const steps = scanPii(text, types, Number.POSITIVE_INFINITY);
  for (;;) {
    const step = steps.next();
    if (step.done) return step.value;
  }
}
