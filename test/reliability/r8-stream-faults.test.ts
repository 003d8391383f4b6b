/**
 * R8 (with the field's R9–R12): on every vendor wire, a primary whose answer is cut after 0, 1 and 40
 * content events, stalls, sends a malformed event, ends without its terminator or sends an in-band error
 * before or after content, with a healthy fallback behind it; each case once unary and once streamed.
 * No truncated success: a call that ends OK has the whole text of exactly one deployment (and a stream
 * one `finish`, last); a failure before any content reached the client falls over to the fallback; after
 * content, a stream ends with a non-OK status, its content a prefix of the primary's text.
 */
import { afterAll, beforeAll, expect, it } from "vitest";
import { VENDORS, startSimulator, type SimFault, type Simulator } from "../../src/simulator/index.js";
import { eventKinds } from "../e2e/harness.js";
import { startGatewayProcess, type GatewayProcess } from "./support/gateway-process.js";
import { mib, recordFigures } from "./support/figures.js";
import { ask, callStream, callUnary, clientsFor, deliveredText, PROTOCOLS, routeOf, runBounded, simDeployment, simProviders, type CallOutcome } from "./support/battery.js";

const WORDS = Array.from({ length: 60 }, (_, index) => `w${index}`);
const PRIMARY_TEXT = WORDS.join(" ");
const FALLBACK_TEXT = "the fallback answered in full";
const IDLE_LIMIT_MS = 500;
const RSS_BOUND_MIB = 256;

interface FaultCase {
  name: string;
  fault: SimFault;
  /** Content events the primary sends before the fault. */
  before: number;
}

const FAULTS: FaultCase[] = [
  ...[0, 1, 40].map((events) => ({ name: `cut after ${events}`, fault: { kind: "cut-after", events } as SimFault, before: events })),
  ...[0, 20].map((events) => ({ name: `stall after ${events}`, fault: { kind: "stall-after", events } as SimFault, before: events })),
  ...[0, 1].map((events) => ({ name: `malformed after ${events}`, fault: { kind: "malformed-after", events } as SimFault, before: events })),
  ...[0, 1, WORDS.length].map((events) => ({ name: `EOF without terminator after ${events}`, fault: { kind: "eof-after", events } as SimFault, before: events })),
  ...[0, 1].map((events) => ({ name: `in-band error after ${events}`, fault: { kind: "error-event-after", events } as SimFault, before: events })),
];

interface Run {
  vendor: string;
  fault: FaultCase;
  stream: boolean;
  outcome: CallOutcome;
}

let sim: Simulator;
let gateway: GatewayProcess;
const caseModel = (vendor: string, fault: FaultCase): string => `r8-${vendor}-${fault.name.replace(/[^a-z0-9]+/gi, "-").toLowerCase()}`;

beforeAll(async () => {
  sim = await startSimulator();
  const timeouts = { firstTokenMs: 2_000, idleMs: IDLE_LIMIT_MS, totalMs: 20_000 };
  const deployments: Record<string, unknown> = { fallback: simDeployment("openai", "r8-fallback") };
  const aliases: Record<string, unknown> = {};
  for (const vendor of VENDORS) {
    for (const fault of FAULTS) {
      const model = caseModel(vendor, fault);
      deployments[model] = simDeployment(vendor, model);
      aliases[model] = { tiers: [[model], ["fallback"]] };
    }
  }
  gateway = await startGatewayProcess("r8", {
    providers: simProviders(sim, { timeouts }),
    deployments,
    aliases,
    // Per-case deployments see at most 4 calls each: no breaker trips, every case meets its fault.
    routing: { timeouts, retry: { budgetMinRetries: 1_000 } },
  });
});

afterAll(async () => {
  await gateway?.stop();
  await sim?.close();
});

/** What is wrong with one run, or undefined. */
function problemOf(run: Run): string | undefined {
  const { outcome, fault, stream } = run;
  const text = deliveredText(outcome);
  const route = routeOf(outcome);
  if (outcome.code === "OK") {
    const expected = route?.deployment === "fallback" ? FALLBACK_TEXT : PRIMARY_TEXT;
    if (text !== expected) return `truncated success: "${text.slice(0, 60)}…" from ${route?.deployment}`;
    if (stream) {
      const kinds = eventKinds(outcome.events);
      if (kinds.filter((kind) => kind === "finish").length !== 1 || kinds.at(-1) !== "finish") return `success without one final finish: ${kinds.join(",")}`;
    }
    // Nothing had reached the client (unary, or k = 0): the fallback must have served.
    const contentReachedClient = stream && fault.before > 0;
    if (!contentReachedClient && route?.deployment !== "fallback" && fault.before < WORDS.length) return `served by ${route?.deployment}, not the fallback`;
    return undefined;
  }
  // A failure is only acceptable once content had reached the client, and then the content is the primary's.
  if (!stream || fault.before === 0) return `failed without content sent: ${outcome.code} ${outcome.message}`;
  if (!PRIMARY_TEXT.startsWith(text)) return `content from two attempts: "${text.slice(0, 60)}…"`;
  return undefined;
}

it("R8: no truncated success on any vendor wire, whatever the stream fault", async () => {
  sim.program({ model: "r8-fallback", behavior: { text: FALLBACK_TEXT } });
  const cases = VENDORS.flatMap((vendor) => FAULTS.flatMap((fault) => [false, true].map((stream) => ({ vendor, fault, stream }))));
  for (const { vendor, fault } of cases) sim.program({ model: caseModel(vendor, fault), behavior: { text: PRIMARY_TEXT, fault: fault.fault } });
  const clients = clientsFor(gateway.url);
  const began = Date.now();
  const runs: Run[] = await runBounded(cases.length, 8, async (index) => {
    const { vendor, fault, stream } = cases[index];
    const client = clients[PROTOCOLS[index % PROTOCOLS.length]];
    const request = ask(caseModel(vendor, fault), `r8-${index}`);
    const outcome = stream ? await callStream(client, request, { timeoutMs: 15_000 }) : await callUnary(client, request, 15_000);
    return { vendor, fault, stream, outcome };
  });
  const durationMs = Date.now() - began;
  const problems = runs.flatMap((run) => {
    const problem = problemOf(run);
    return problem === undefined ? [] : [`${run.vendor} ${run.fault.name} ${run.stream ? "stream" : "unary"}: ${problem}`];
  });
  const truncatedSuccesses = problems.filter((problem) => problem.includes("truncated success") || problem.includes("without one final finish")).length;
  const codes = new Map<string, number>();
  for (const run of runs) {
    const key = run.outcome.code === "OK" ? (routeOf(run.outcome)?.deployment === "fallback" ? "OK via fallback" : "OK") : `code ${run.outcome.code}`;
    codes.set(key, (codes.get(key) ?? 0) + 1);
  }
  const stallRuns = runs.filter((run) => run.fault.fault.kind === "stall-after");
  const stallDetectMs = Math.max(...stallRuns.map((run) => run.outcome.endedAt - run.outcome.startedAt));
  const peakRss = gateway.peakRssMiB();

  await recordFigures(
    {
      id: "R8",
      title: "stream faults on every vendor wire (cut 0/1/40, stall, malformed, EOF without terminator, in-band error)",
      invariant:
        "0 truncated successes; OK ⇒ the whole text of one deployment (+ one final `finish`); no content sent ⇒ falls over to the fallback; content sent ⇒ non-OK status and a prefix of the primary's text",
      figures:
        `R8: ${runs.length} calls (${VENDORS.length} vendors × ${FAULTS.length} faults × unary/stream) in ${(durationMs / 1000).toFixed(1)} s, ` +
        `truncated successes ${truncatedSuccesses}, other violations ${problems.length - truncatedSuccesses}, ` +
        `outcomes ${[...codes.entries()].map(([key, count]) => `${key}: ${count}`).join(", ")}, ` +
        `slowest stall call ${stallDetectMs} ms (idle limit ${IDLE_LIMIT_MS} ms), peak RSS ${mib(peakRss)}`,
    },
    () => {
      expect(problems).toEqual([]);
      expect(peakRss).toBeLessThanOrEqual(RSS_BOUND_MIB);
    },
  );
});
