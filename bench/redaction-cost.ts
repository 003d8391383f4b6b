/**
 * How long PII detection (src/redaction/detectors.ts) holds the event loop on large adversarial texts
 * of 300 KB: one long word, digit runs, near-e-mails, near-phone numbers, IBAN-shaped groups. The
 * detectors must stay linear; this prints the time per text with every detector on.
 *
 *   npx tsx bench/redaction-cost.ts
 */
import { findPii, piiTypes } from "../src/redaction/detectors.js";

const all = new Set(piiTypes);
const texts: Record<string, string> = {
  "one long word": "a".repeat(300_000),
  "an @ then one long word": `a@${"a".repeat(300_000)}`,
  "a@ then dots": `a@${"a.".repeat(150_000)}`,
  "hyphenated labels": `a@${"b-".repeat(30)}`.repeat(5_000),
  "one digit run": "1".repeat(300_000),
  "spaced digits": "1 ".repeat(150_000),
  "a phone that never ends": `+1 (0)${" 12".repeat(100_000)}`,
  "IBAN-shaped groups": `DE${"1234 ".repeat(60_000)}`,
  "e-mails and digit runs": `x.y@z${"0-".repeat(20)}`.repeat(6_000),
};
for (const [name, text] of Object.entries(texts)) {
  const started = performance.now();
  const found = findPii(text, all).length;
  process.stdout.write(`${name}: ${text.length} chars in ${(performance.now() - started).toFixed(1)} ms (${found} found)\n`);
}
