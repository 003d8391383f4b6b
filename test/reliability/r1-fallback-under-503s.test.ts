/**
 * R1: 10,000 requests, half streamed, spread over Connect (HTTP/1.1 and h2c), gRPC-Web and gRPC, while
 * the primary answers 30 % of its calls (drawn independently per call) with 503 and the fallback tier
 * is healthy. Nothing may be lost or duplicated: every request succeeds, with exactly one terminal
 * status and one "call finished" log line; no stream carries content from two attempts; the upstream saw
 * exactly the attempts the route records list; same-deployment retries stay within the retry budget.
 */
import { afterAll, beforeAll, expect, it } from "vitest";
import { startSimulator, type Simulator } from "../../src/simulator/index.js";
import { eventKinds, percentile } from "../e2e/harness.js";
import { startGatewayProcess, type GatewayProcess } from "./support/gateway-process.js";
import { mib, ms, recordFigures } from "./support/figures.js";
import {
  ask,
  callStream,
  callUnary,
  clientsFor,
  deliveredText,
  PROTOCOLS,
  routeOf,
  runBounded,
  simDeployment,
  simProviders,
  type CallOutcome,
} from "./support/battery.js";

const REQUESTS = 10_000;
const CONCURRENCY = 64;
const FAILURE_SHARE = 0.3;
/** The config's retry policy, stated here so the budget check reads it. */
const RETRY = { maxAttempts: 4, maxRetriesPerDeployment: 1, baseDelayMs: 20, maxDelayMs: 200, budgetRatio: 0.2, budgetMinRetries: 3 };
const BUDGET_WINDOW_MS = 10_000;
/**
 * Breaker thresholds well above the injected rate (90 % over at least 100 calls, no consecutive-failure
 * trip), so the primary stays in rotation and every request meets the retry and fallback path. With the
 * defaults (5 in a row, or 50 % over 10 calls) the breaker opens within the first few hundred calls at a
 * 30 % rate, reopens with a growing back-off whenever its probe draws a 503, and the fallback serves
 * ~99 %: R1 would then test the breaker, not the retries.
 */
const BREAKER = { consecutiveFailures: 1_000_000, failureRateThreshold: 0.9, minimumRequests: 100 };
const RSS_BOUND_MIB = 256;
const PRIMARY_TEXT = "primary answer one two three four five six";
const FALLBACK_TEXT = "fallback answer seven eight nine ten eleven twelve";

let sim: Simulator;
let gateway: GatewayProcess;

beforeAll(async () => {
  sim = await startSimulator();
  gateway = await startGatewayProcess("r1", {
    providers: simProviders(sim),
    deployments: { primary: simDeployment("openai", "r1-primary"), fallback: simDeployment("anthropic", "r1-fallback") },
    aliases: { chat: { tiers: [["primary"], ["fallback"]] } },
    routing: { retry: RETRY, breaker: BREAKER },
  });
});

afterAll(async () => {
  await gateway?.stop();
  await sim?.close();
});

it("R1: 10,000 requests with 30 % 503s on the primary: none lost, none duplicated, retries within budget", async () => {
  sim.program({ model: "r1-primary", behavior: { text: PRIMARY_TEXT, fault: { kind: "status", status: 503 }, faultProbability: FAILURE_SHARE } });
  sim.program({ model: "r1-fallback", behavior: { text: FALLBACK_TEXT } });
  const clients = clientsFor(gateway.url);
  const began = Date.now();
  const outcomes: CallOutcome[] = await runBounded(REQUESTS, CONCURRENCY, (index) => {
    const client = clients[PROTOCOLS[index % PROTOCOLS.length]];
    const request = ask("chat", `r1-${index}`);
    return index % 2 === 0 ? callStream(client, request, { timeoutMs: 30_000 }) : callUnary(client, request, 30_000);
  });
  const durationMs = Date.now() - began;
  // The last log lines may still be on their way from the child's stdout.
  await new Promise((resolve) => setTimeout(resolve, 300));

  const ok = outcomes.filter((outcome) => outcome.code === "OK").length;
  const routes = outcomes.map(routeOf);
  const attempts = routes.map((route) => route?.attempts ?? []);
  const attemptCounts = attempts.map((list) => list.length);
  const totalAttempts = attemptCounts.reduce((a, b) => a + b, 0);
  const retries = attempts.flat().filter((attempt) => attempt.retry > 0).length;
  const histogram = new Map<number, number>();
  for (const count of attemptCounts) histogram.set(count, (histogram.get(count) ?? 0) + 1);
  const servedByFallback = routes.filter((route) => route?.deployment === "fallback").length;
  const latencies = outcomes.map((outcome) => outcome.endedAt - outcome.startedAt);
  const singleAttempt = outcomes.filter((_, index) => attemptCounts[index] === 1).map((outcome) => outcome.endedAt - outcome.startedAt);

  // Streams: one start, one finish and last, and the text of exactly the deployment that served.
  const streamProblems: string[] = [];
  outcomes.forEach((outcome, index) => {
    if (index % 2 !== 0 || outcome.code !== "OK") return;
    const kinds = eventKinds(outcome.events);
    const starts = kinds.filter((kind) => kind === "start").length;
    const finishes = kinds.filter((kind) => kind === "finish").length;
    const expected = routes[index]?.deployment === "primary" ? PRIMARY_TEXT : FALLBACK_TEXT;
    if (starts !== 1 || finishes !== 1 || kinds.at(-1) !== "finish" || deliveredText(outcome) !== expected) {
      streamProblems.push(`r1-${index}: ${kinds.join(",")} "${deliveredText(outcome)}"`);
    }
  });
  const unaryWrongText = outcomes.filter(
    (outcome, index) => index % 2 === 1 && outcome.code === "OK" && deliveredText(outcome) !== (routes[index]?.deployment === "primary" ? PRIMARY_TEXT : FALLBACK_TEXT),
  ).length;

  // The log: exactly one "call finished" line per request id, and it says OK.
  const linesPerId = new Map<string, { count: number; statuses: string[] }>();
  for (const line of gateway.callLines()) {
    const id = String(line.requestId);
    if (!id.startsWith("r1-")) continue;
    const entry = linesPerId.get(id) ?? { count: 0, statuses: [] };
    entry.count += 1;
    entry.statuses.push(String(line.status));
    linesPerId.set(id, entry);
  }
  const idsWithoutOneOkLine = outcomes
    .map((_, index) => `r1-${index}`)
    .filter((id) => linesPerId.get(id)?.count !== 1 || linesPerId.get(id)?.statuses[0] !== "OK");

  const windows = Math.ceil(durationMs / BUDGET_WINDOW_MS);
  const retryAllowance = Math.floor(RETRY.budgetRatio * REQUESTS) + RETRY.budgetMinRetries * windows;
  const primaryUpstream = sim.requests.filter((request) => request.model === "r1-primary");
  const primary503 = primaryUpstream.filter((request) => request.finishedAt !== undefined).length;
  const peakRss = gateway.peakRssMiB();

  await recordFigures(
    {
      id: "R1",
      title: "30 % 503s on the primary, healthy fallback",
      invariant:
        "breaker thresholds above the injected rate; every request OK; one terminal status and one `call finished` line per request id; no stream with content from two attempts; upstream calls = attempts recorded; attempts ≤ maxAttempts; same-deployment retries ≤ budget (20 % of requests + 3 per 10 s window)",
      figures:
        `R1: ${REQUESTS} requests (${REQUESTS / 2} streamed, 4 protocols, c=${CONCURRENCY}) in ${(durationMs / 1000).toFixed(1)} s, ` +
        `${((100 * ok) / REQUESTS).toFixed(2)}% ok, attempts/request ${(totalAttempts / REQUESTS).toFixed(2)} ` +
        `(${[...histogram.entries()].sort((a, b) => a[0] - b[0]).map(([n, c]) => `${n}:${c}`).join(" ")}), ` +
        `retries ${((100 * retries) / REQUESTS).toFixed(1)}% (allowed ≤ ${retryAllowance}), served by fallback ${((100 * servedByFallback) / REQUESTS).toFixed(1)}%, ` +
        `latency p50 ${ms(percentile(latencies, 50))} p99 ${ms(percentile(latencies, 99))} (single-attempt p99 ${ms(percentile(singleAttempt, 99))}), ` +
        `upstream calls ${sim.requests.length}, peak RSS ${mib(peakRss)}`,
    },
    () => {
      expect(ok, `requests OK (first failure: ${outcomes.find((outcome) => outcome.code !== "OK")?.message})`).toBe(REQUESTS);
      expect(streamProblems.slice(0, 5), `streams without one start, one final finish and one deployment's text (${streamProblems.length})`).toEqual([]);
      expect(unaryWrongText, "unary answers with the wrong text").toBe(0);
      expect(idsWithoutOneOkLine.slice(0, 5), `request ids without exactly one OK call line (${idsWithoutOneOkLine.length})`).toEqual([]);
      expect(Math.max(...attemptCounts), "attempts per request").toBeLessThanOrEqual(RETRY.maxAttempts);
      expect(
        Math.max(...attempts.map((list) => list.filter((attempt) => attempt.deployment === "primary").length)),
        "attempts on the primary per request",
      ).toBeLessThanOrEqual(1 + RETRY.maxRetriesPerDeployment);
      expect(sim.requests.length, "upstream calls = attempts in the route records").toBe(totalAttempts);
      expect(retries, "same-deployment retries").toBeLessThanOrEqual(retryAllowance);
      expect(primary503, "primary calls answered").toBe(primaryUpstream.length);
      expect(peakRss, "peak RSS MiB").toBeLessThanOrEqual(RSS_BOUND_MIB);
    },
  );
});
