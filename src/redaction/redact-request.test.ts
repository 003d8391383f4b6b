import { describe, expect, it } from "vitest";
import type { GatewayRequest } from "../gateway/types.js";
import { testRequest } from "../routing/testing/engine-fixture.js";
import { measureLongestStall } from "../routing/testing/event-loop-stall.js";
import { findPii, piiTypes, scanPii, type PiiSpan } from "./detectors.js";
import { heldOutNegatives, heldOutPositives, negatives, positives } from "./pii-corpus.js";
import { redactRequest, redactRequestInSlices, WINDOW_CHARS } from "./redact-request.js";

const all = new Set(piiTypes);

function requestWith(...texts: string[]): GatewayRequest {
  return testRequest("m", { messages: texts.map((text) => ({ role: "user" as const, parts: [{ type: "text" as const, text }] })) });
}

function scannedInWindows(text: string, windowChars = WINDOW_CHARS): PiiSpan[] {
  const steps = scanPii(text, all, windowChars);
  for (;;) {
    const step = steps.next();
    if (step.done) return step.value;
  }
}

/** Neutral words, cut to exactly `length` characters, the last a line break. */
const filler = (length: number): string => `${"the quick brown fox jumps over the lazy dog ".repeat(Math.ceil(length / 44) + 1).slice(0, length - 1)}\n`;

/** Every sentence of the corpus, one after another, until the text is at least `length` long. */
function corpusText(length: number): string {
  const sentences = [...positives.map(({ text }) => text), ...negatives, ...heldOutPositives.map(({ text }) => text), ...heldOutNegatives];
  const parts: string[] = [];
  for (let index = 0, total = 0; total < length; index += 1) {
    const sentence = sentences[index % sentences.length] as string;
    parts.push(sentence);
    total += sentence.length + 1;
  }
  return parts.join("\n");
}

describe("redaction in slices", () => {
  it("finds each identifier of the corpus when it spans the cut between two windows", () => {
    const found = positives.filter(({ text, value }) => findPii(text, all).some((span) => text.slice(span.start, span.end) === value));
    expect(found.length).toBeGreaterThan(positives.length * 0.9);
    for (const { text, type, value } of found) {
      const offset = text.indexOf(value);
      // The first window ends at WINDOW_CHARS: put the middle of the value there.
      const shifted = `${filler(WINDOW_CHARS - offset - Math.floor(value.length / 2))}${text}\n${filler(WINDOW_CHARS)}`;
      const start = shifted.indexOf(value);
      expect(start).toBeLessThan(WINDOW_CHARS);
      expect(start + value.length).toBeGreaterThan(WINDOW_CHARS);
      expect(scannedInWindows(shifted)).toEqual(findPii(shifted, all));
      expect(scannedInWindows(shifted).some((span) => span.type === type && span.start === start && span.end === start + value.length)).toBe(true);
    }
  });

  it("finds the same spans as one scan of the whole text, on 1 MB of the corpus and at several window sizes", () => {
    const text = corpusText(1_000_000);
    const whole = findPii(text, all);
    expect(whole.length).toBeGreaterThan(5_000);
    for (const windowChars of [WINDOW_CHARS, 20_000, 50_001]) expect(scannedInWindows(text, windowChars)).toEqual(whole);
  });

  it("gives the same request and counts as redaction in one go", async () => {
    const request = requestWith(corpusText(400_000), "Mail jane.doe@example.com or call +44 20 7946 0958.", corpusText(100_000));
    const inOneGo = redactRequest(request, all);
    const inSlices = await redactRequestInSlices(request, all);
    expect(inSlices.counts).toEqual(inOneGo.counts);
    expect(Object.values(inSlices.counts).reduce((sum, count) => sum + count, 0)).toBeGreaterThan(2_000);
    expect(inSlices.request).toEqual(inOneGo.request);
  });

  it.each([
    ["digits with single spaces", (run: number) => `${run} ${"1 ".repeat(500_000)}`],
    ["a phone number that never ends", (run: number) => `+${run} (0)${" 12".repeat(350_000)}`],
    ["the corpus", (run: number) => `${run} ${corpusText(1_000_000)}`],
  ])("holds the event loop under 20 ms at a time while redacting 1 MB of %s", async (_name, text) => {
    const { longestStallMs } = await measureLongestStall((run) => redactRequestInSlices(requestWith(text(run)), all));
    expect(longestStallMs).toBeLessThan(20);
  });

  it("rejects with the signal's reason once the signal is aborted", async () => {
    const controller = new AbortController();
    const reason = new Error("client went away");
    const redacting = redactRequestInSlices(requestWith(corpusText(2_000_000)), all, controller.signal);
    setTimeout(() => controller.abort(reason), 5);
    await expect(redacting).rejects.toBe(reason);
  });
});
