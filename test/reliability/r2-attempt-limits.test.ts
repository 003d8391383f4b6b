/**
 * R2 (with the field's R5, R6 and R7): each way a primary can refuse or fail to answer, with a healthy
 * fallback tier behind it and a 5 s client deadline. A 429 whose Retry-After (seconds, HTTP date or
 * retry-after-ms) asks for 3 s must send the request to the fallback at once, not after sleeping; a
 * refused connection and a reset before headers fall over at once; a primary that sends no headers, or
 * its first token only after 5 s, is given up at the 500 ms first-token limit and not retried. Every
 * request ends OK from the fallback, inside its deadline, with at most one attempt on the primary.
 */
import net from "node:net";
import { afterAll, beforeAll, expect, it } from "vitest";
import { startSimulator, type SimBehavior, type Simulator, type Vendor } from "../../src/simulator/index.js";
import { percentile } from "../e2e/harness.js";
import { startGatewayProcess, type GatewayProcess } from "./support/gateway-process.js";
import { mib, ms, recordFigures } from "./support/figures.js";
import { ask, callStream, callUnary, clientsFor, routeOf, simDeployment, simProviders, type CallOutcome } from "./support/battery.js";

const DEADLINE_MS = 5_000;
const FIRST_TOKEN_LIMIT_MS = 500;
const RETRY_AFTER_S = 3;
const REQUESTS_PER_CASE = 4;
const MAX_RETRIES_PER_DEPLOYMENT = 1;
/** Node and undici check some timers at a coarse interval: a limit may fire up to this much late. */
const TIMER_SLACK_MS = 1_000;
const RSS_BOUND_MIB = 256;

interface Case {
  name: string;
  vendor: Vendor;
  /** The fault, made fresh for each request (an HTTP date is relative to now). */
  behavior: () => SimBehavior;
  /** Slowest acceptable fall-over; fastest too for the limits that must fire. */
  maxMs: number;
  minMs?: number;
  /** Calls the primary may get per request: a silent route or a Retry-After longer than a back-off is not retried. */
  maxPrimaryAttempts: number;
}

const CASES: Case[] = [
  {
    name: "429 Retry-After seconds",
    vendor: "openai",
    behavior: () => ({ fault: { kind: "status", status: 429, retryAfter: String(RETRY_AFTER_S) } }),
    maxMs: 1_000,
    maxPrimaryAttempts: 1,
  },
  {
    name: "429 Retry-After HTTP date",
    vendor: "anthropic",
    // One more second: an HTTP date has whole seconds.
    behavior: () => ({ fault: { kind: "status", status: 429, retryAfter: new Date(Date.now() + (RETRY_AFTER_S + 1) * 1_000).toUTCString() } }),
    maxMs: 1_000,
    maxPrimaryAttempts: 1,
  },
  {
    name: "429 retry-after-ms",
    vendor: "openai",
    behavior: () => ({ fault: { kind: "status", status: 429, retryAfterMs: RETRY_AFTER_S * 1_000 } }),
    maxMs: 1_000,
    maxPrimaryAttempts: 1,
  },
  // A refused or reset connection may be retried once (R5: "retried or failed over").
  { name: "connection refused", vendor: "openai", behavior: () => ({}), maxMs: 1_000, maxPrimaryAttempts: 1 + MAX_RETRIES_PER_DEPLOYMENT },
  {
    name: "reset before headers",
    vendor: "gemini",
    behavior: () => ({ fault: { kind: "reset" } }),
    maxMs: 1_000,
    maxPrimaryAttempts: 1 + MAX_RETRIES_PER_DEPLOYMENT,
  },
  {
    name: "no headers at all",
    vendor: "ollama",
    behavior: () => ({ fault: { kind: "hang" } }),
    minMs: FIRST_TOKEN_LIMIT_MS - 20,
    maxMs: FIRST_TOKEN_LIMIT_MS + TIMER_SLACK_MS,
    maxPrimaryAttempts: 1,
  },
  {
    name: "first token after 5 s",
    vendor: "anthropic",
    behavior: () => ({ firstContentDelayMs: 5_000 }),
    minMs: FIRST_TOKEN_LIMIT_MS - 20,
    maxMs: FIRST_TOKEN_LIMIT_MS + TIMER_SLACK_MS,
    maxPrimaryAttempts: 1,
  },
];

let sim: Simulator;
let gateway: GatewayProcess;
let closedPort: number;

const slug = (name: string): string => name.toLowerCase().replace(/[^a-z0-9]+/g, "-");

/** A port with nothing listening on it: bound, then released. */
async function refusingPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as net.AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

beforeAll(async () => {
  sim = await startSimulator();
  closedPort = await refusingPort();
  // A unary answer's body is bounded by idleMs once its headers are in: the same 500 ms, so that either
  // limit ends a primary that is silent for 5 s.
  const timeouts = { connectMs: 1_000, firstTokenMs: FIRST_TOKEN_LIMIT_MS, idleMs: FIRST_TOKEN_LIMIT_MS, totalMs: 10_000 };
  const providers = {
    ...simProviders(sim, { timeouts }),
    refusing: { kind: "openai", baseUrl: `http://127.0.0.1:${closedPort}/v1`, apiKey: "sim-key", timeouts },
  };
  const deployments: Record<string, unknown> = { fallback: simDeployment("openai", "r2-fallback") };
  const aliases: Record<string, unknown> = {};
  for (const testCase of CASES) {
    const name = slug(testCase.name);
    deployments[name] =
      testCase.name === "connection refused" ? { provider: "refusing", model: `r2-${name}` } : simDeployment(testCase.vendor, `r2-${name}`);
    aliases[name] = { tiers: [[name], ["fallback"]] };
  }
  gateway = await startGatewayProcess("r2", {
    providers,
    deployments,
    aliases,
    routing: { timeouts, retry: { maxRetriesPerDeployment: MAX_RETRIES_PER_DEPLOYMENT } },
  });
});

afterAll(async () => {
  await gateway?.stop();
  await sim?.close();
});

it("R2: each attempt limit fires and the request falls over to the fallback within its deadline", async () => {
  sim.program({ model: "r2-fallback", behavior: { text: "from the fallback" } });
  const clients = clientsFor(gateway.url);
  const results: { testCase: Case; outcomes: CallOutcome[]; primaryAttempts: number[]; upstreamPrimary: number }[] = [];
  for (const testCase of CASES) {
    const name = slug(testCase.name);
    const outcomes: CallOutcome[] = [];
    for (let index = 0; index < REQUESTS_PER_CASE; index++) {
      // For the whole request, retries included; the newest rule wins, so an HTTP date is always fresh.
      sim.program({ model: `r2-${name}`, behavior: testCase.behavior() });
      const request = ask(name, `r2-${name}-${index}`);
      // Alternate unary and streamed calls, and protocols.
      outcomes.push(
        index % 2 === 0
          ? await callUnary(index % 4 === 0 ? clients["connect-h2c"] : clients["grpc-web-http1"], request, DEADLINE_MS)
          : await callStream(index % 4 === 1 ? clients["grpc-h2c"] : clients["connect-http1"], request, { timeoutMs: DEADLINE_MS }),
      );
    }
    results.push({
      testCase,
      outcomes,
      primaryAttempts: outcomes.map((outcome) => routeOf(outcome)?.attempts.filter((attempt) => attempt.deployment === name).length ?? -1),
      upstreamPrimary: sim.requests.filter((request) => request.model === `r2-${name}`).length,
    });
  }
  const peakRss = gateway.peakRssMiB();
  const describeCase = ({ testCase, outcomes, primaryAttempts }: (typeof results)[number]): string => {
    const times = outcomes.map((outcome) => outcome.endedAt - outcome.startedAt);
    const ok = outcomes.filter((outcome) => outcome.code === "OK" && routeOf(outcome)?.deployment === "fallback").length;
    const failures = outcomes.filter((outcome) => outcome.code !== "OK").map((outcome) => `${outcome.code} ${outcome.message}`);
    return `${testCase.name} → fallback ${ok}/${outcomes.length} in ${times.map((time) => time).join("/")} ms (primary attempts ${primaryAttempts.join(",")})${failures.length > 0 ? ` [${failures.join("; ")}]` : ""}`;
  };

  await recordFigures(
    {
      id: "R2",
      title: "attempt limits: Retry-After (3 forms), refused, reset, no headers, slow first token",
      invariant: `every request OK from the fallback inside its ${DEADLINE_MS} ms deadline; 429 with Retry-After ${RETRY_AFTER_S} s, refused and reset fall over in < 1 s; no headers / first token after 5 s give up at the ${FIRST_TOKEN_LIMIT_MS} ms first-token (and idle) limit, + ≤ ${TIMER_SLACK_MS} ms timer slack; ≤ 1 attempt on the primary per request (refused and reset: ≤ 1 retry)`,
      figures: `R2: ${results.map(describeCase).join("; ")}; peak RSS ${mib(peakRss)}`,
    },
    () => {
      for (const { testCase, outcomes, primaryAttempts } of results) {
        outcomes.forEach((outcome, index) => {
          const label = `${testCase.name}, request ${index}`;
          expect(outcome.code, `${label}: ${outcome.message}`).toBe("OK");
          expect(routeOf(outcome)?.deployment, label).toBe("fallback");
          expect(outcome.endedAt - outcome.startedAt, `${label}: wall time`).toBeLessThanOrEqual(testCase.maxMs);
          expect(primaryAttempts[index], `${label}: attempts on the primary`).toBeLessThanOrEqual(testCase.maxPrimaryAttempts);
        });
        // The limit must have fired on the first request (later ones may skip a cooling or open primary).
        if (testCase.minMs !== undefined) {
          expect(outcomes[0].endedAt - outcomes[0].startedAt, `${testCase.name}: the first request waited for the limit`).toBeGreaterThanOrEqual(testCase.minMs);
        }
      }
      expect(peakRss).toBeLessThanOrEqual(RSS_BOUND_MIB);
    },
  );
});
