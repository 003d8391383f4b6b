import { describe, expect, it } from "vitest";
import { findPii, passesIbanChecksum, passesLuhn, piiTypes } from "./detectors.js";
import { heldOutNegatives, heldOutPositives, negatives, positives, type Positive } from "./pii-corpus.js";

const all = new Set(piiTypes);

describe("the checksums", () => {
  it("accepts the card networks' test numbers and refuses them with one digit changed (Luhn)", () => {
    expect(passesLuhn("4111111111111111")).toBe(true);
    expect(passesLuhn("4111111111111112")).toBe(false);
    expect(passesLuhn("378282246310005")).toBe(true);
  });

  it("accepts the registry's example IBANs and refuses a changed digit (mod 97)", () => {
    expect(passesIbanChecksum("DE89370400440532013000")).toBe(true);
    expect(passesIbanChecksum("GB29NWBK60161331926819")).toBe(true);
    expect(passesIbanChecksum("DE89370400440532013001")).toBe(false);
  });
});

function measure(positives: Positive[], negatives: string[]) {
    const missed = positives.filter(({ text, type, value }) => {
      const spans = findPii(text, all);
      return !spans.some((span) => span.type === type && text.slice(span.start, span.end) === value);
    });
    const falseAlarms = negatives.filter((text) => findPii(text, all).length > 0);
    const extra = positives.filter(({ text }) => findPii(text, all).length > 1);
    const report = {
      positives: positives.length,
      falseNegatives: missed.length,
      falseNegativeRate: Number((missed.length / positives.length).toFixed(3)),
      negatives: negatives.length,
      falsePositives: falseAlarms.length,
      falsePositiveRate: Number((falseAlarms.length / negatives.length).toFixed(3)),
      missed: missed.map(({ value }) => value),
      falseAlarms: falseAlarms.map((text) => `${text} -> ${findPii(text, all).map((span) => `${span.type}:${text.slice(span.start, span.end)}`).join(", ")}`),
      extraSpansInPositives: extra.map(({ text }) => text),
    };
    return report;
}

describe("the detectors on the corpus", () => {
  it("find each positive whole and of the right type, and nothing in the near misses (rates printed)", () => {
    const report = measure(positives, negatives);
    console.log(`pii corpus (tuned on): ${JSON.stringify(report, null, 2)}`);
    expect(report.falseNegativeRate).toBeLessThanOrEqual(0.05);
    expect(report.falsePositiveRate).toBeLessThanOrEqual(0.05);
    expect(report.extraSpansInPositives).toEqual([]);
  });

  it("keep their rates on the held-out cases, never tuned against (rates printed)", () => {
    const report = measure(heldOutPositives, heldOutNegatives);
    console.log(`pii corpus (held out): ${JSON.stringify(report, null, 2)}`);
    expect(report.falseNegativeRate).toBeLessThanOrEqual(0.2);
    expect(report.falsePositiveRate).toBeLessThanOrEqual(0.2);
  });

  it("detects only the types asked for", () => {
    expect(findPii("mail a.b@example.com or call +44 20 7946 0958", new Set(["phone"] as const)).map((span) => span.type)).toEqual(["phone"]);
  });
});
