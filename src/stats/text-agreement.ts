/**
 * How far two answers agree, for shadow traffic: exact equality, and equality after normalising case,
 * whitespace and punctuation (so "Paris." and "paris" agree). Cheap on purpose: it runs for every
 * shadowed request. Semantic similarity would need a model and belongs in an offline evaluation.
 */

export interface TextAgreement {
  exact: boolean;
  normalized: boolean;
}

/** Lower-case, punctuation and symbols dropped, whitespace collapsed. */
export function normalizeForComparison(text: string): string {
  return text
    .toLowerCase()
    .replace(/[\p{P}\p{S}]+/gu, " ")
    .replace(/\s+/g, " ")
    .trim();
}

export function compareTexts(a: string, b: string): TextAgreement {
  return { exact: a === b, normalized: normalizeForComparison(a) === normalizeForComparison(b) };
}
