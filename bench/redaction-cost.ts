/**
 * How long PII redaction (src/redaction/) holds the event loop on large adversarial texts of 300 KB and
 * 1 MiB: one long word, digit runs, near-e-mails, near-phone numbers, IBAN-shaped groups. For each text:
 * - `one go`: the detectors in one synchronous call (`findPii`, what a request smaller than
 *   `SYNC_CONTENT_CHARS` gets, and what every request got before redaction was sliced);
 * - `sliced`: the longest synchronous stretch while `redactRequestInSlices` redacts the text, read from
 *   perf_hooks' event-loop delay histogram (1 ms resolution, so about 1 ms above the truth), and how long
 *   the whole redaction took.
 * The detectors must stay linear and the sliced stretch within a few milliseconds.
 *
 *   npx tsx bench/redaction-cost.ts
 */
import { monitorEventLoopDelay } from "node:perf_hooks";
import { setTimeout as sleep } from "node:timers/promises";
import type { GatewayRequest } from "../src/gateway/types.js";
import { findPii, piiTypes } from "../src/redaction/detectors.js";
import { redactRequestInSlices } from "../src/redaction/redact-request.js";

const all = new Set(piiTypes);

/** `unit` repeated to `length` characters, after `prefix`. */
const repeated = (prefix: string, unit: string, length: number): string => prefix + unit.repeat(Math.ceil((length - prefix.length) / unit.length)).slice(0, length - prefix.length);

const texts: Record<string, (length: number) => string> = {
  "one long word": (length) => repeated("", "a", length),
  "an @ then one long word": (length) => repeated("a@", "a", length),
  "a@ then dots": (length) => repeated("a@", "a.", length),
  "hyphenated labels": (length) => repeated("", `a@${"b-".repeat(30)}`, length),
  "one digit run": (length) => repeated("", "1", length),
  "spaced digits": (length) => repeated("", "1 ", length),
  "a phone that never ends": (length) => repeated("+1 (0)", " 12", length),
  "IBAN-shaped groups": (length) => repeated("DE", "1234 ", length),
  "e-mails and digit runs": (length) => repeated("", `x.y@z${"0-".repeat(20)}`, length),
};

function requestWith(text: string): GatewayRequest {
  return {
    model: "bench",
    messages: [{ role: "user", parts: [{ type: "text", text }] }],
    sampling: { stopSequences: [] },
    tools: [],
    requestId: "bench",
    routing: { tags: [], metadata: {} },
    fallback: { disableFallback: false, continueOnInterruption: false },
  };
}

/** The longest event-loop delay (ms) while `work` runs, and how long it took. */
async function longestStretch(work: () => unknown): Promise<{ longestMs: number; elapsedMs: number }> {
  const histogram = monitorEventLoopDelay({ resolution: 1 });
  histogram.enable();
  await sleep(5);
  histogram.reset();
  const started = performance.now();
  await work();
  const elapsedMs = performance.now() - started;
  await sleep(3); // one more tick of the monitor, so a final stretch is recorded
  histogram.disable();
  return { longestMs: histogram.max / 1e6, elapsedMs };
}

for (const size of [300_000, 1_048_576]) {
  process.stdout.write(`\n${size === 300_000 ? "300 KB" : "1 MiB"} texts (one go: one synchronous stretch; sliced: longest stretch, total time)\n`);
  for (const [name, make] of Object.entries(texts)) {
    const text = make(size);
    const oneGo = await longestStretch(() => findPii(text, all));
    const sliced = await longestStretch(() => redactRequestInSlices(requestWith(text), all));
    const found = findPii(text, all).length;
    process.stdout.write(
      `${name}: one go ${oneGo.elapsedMs.toFixed(1)} ms; sliced longest ${sliced.longestMs.toFixed(1)} ms of ${sliced.elapsedMs.toFixed(1)} ms (${found} found)\n`,
    );
  }
}
