/**
 * Abuse from upstream and from load (issue 15, defects 4 and 5), each against a fresh gateway with the
 * health prober running throughout. An upstream whose body, SSE line or NDJSON line never ends must fail
 * its attempt at the configured size limit and fall over, in bounded memory and without holding the
 * event loop. 1,000 streams opened at once to a healthy 2 s upstream must all complete, none counted
 * against the vendor: the gateway's own queueing is not the provider's fault.
 */
import { afterAll, beforeAll, beforeEach, expect, it } from "vitest";
import { startSimulator, type Simulator, type Vendor } from "../../src/simulator/index.js";
import { percentile } from "../e2e/harness.js";
import { ABUSE_RSS_BOUND_MIB, describeAbuse, healthProblems, HEALTH_P99_BOUND_MS, underAbuse } from "./support/abuse.js";
import { ms, recordFigures } from "./support/figures.js";
import { ask, callStream, callUnary, clientsFor, Code, deliveredText, PROTOCOLS, routeOf, runBounded, simDeployment, simProviders, type CallOutcome } from "./support/battery.js";

let sim: Simulator;

beforeAll(async () => {
  sim = await startSimulator();
});
beforeEach(() => {
  sim.reset();
});
afterAll(async () => {
  await sim?.close();
});


it("A13: endless upstream bodies, SSE lines and NDJSON lines fail the attempt at the size limit and fall over (issue 15 #5)", async () => {
  // The defaults: 32 MiB per non-streaming body, 1 MiB per stream event (response-limits.ts).
  const cases: { vendor: Vendor; stream: boolean; what: string }[] = [
    { vendor: "openai", stream: false, what: "openai body" },
    { vendor: "anthropic", stream: false, what: "anthropic body" },
    { vendor: "openai", stream: true, what: "openai SSE line" },
    { vendor: "anthropic", stream: true, what: "anthropic SSE line" },
    { vendor: "gemini", stream: true, what: "gemini SSE line" },
    { vendor: "ollama", stream: true, what: "ollama NDJSON line" },
    { vendor: "ollama", stream: false, what: "ollama body" },
  ];
  const deployments: Record<string, unknown> = { fallback: simDeployment("openai", "a13-fallback") };
  const aliases: Record<string, unknown> = {};
  for (const vendor of new Set(cases.map((entry) => entry.vendor))) {
    deployments[vendor] = simDeployment(vendor, `a13-${vendor}`);
    aliases[vendor] = { tiers: [[vendor], ["fallback"]] };
  }
  sim.program({ model: "a13-fallback", behavior: { text: "from the fallback" } });
  for (const vendor of new Set(cases.map((entry) => entry.vendor))) {
    // Before any content: the attempt must fail and fall over (after content it would rightly end the stream non-OK).
    sim.program({ model: `a13-${vendor}`, behavior: { text: "one two three", fault: { kind: "endless-after", events: 0 } } });
  }
  const result = await underAbuse("a13", { providers: simProviders(sim), deployments, aliases }, async (gateway) => {
    const clients = clientsFor(gateway.url);
    const outcomes: CallOutcome[] = [];
    // One at a time, twice each: what one endless response makes the gateway hold.
    for (const [index, entry] of [...cases, ...cases].entries()) {
      const client = clients[PROTOCOLS[index % PROTOCOLS.length]];
      const request = ask(entry.vendor, `a13-${index}`);
      outcomes.push(entry.stream ? await callStream(client, request, { timeoutMs: 30_000 }) : await callUnary(client, request, 30_000));
    }
    return outcomes;
  });
  const outcomes = result.value;
  const served = outcomes.filter((outcome) => outcome.code === "OK" && routeOf(outcome)?.deployment === "fallback" && deliveredText(outcome) === "from the fallback").length;
  const failedReasons = new Map<string, number>();
  for (const outcome of outcomes) {
    for (const attempt of routeOf(outcome)?.attempts ?? []) {
      if (attempt.deployment !== "fallback") failedReasons.set(attempt.reason, (failedReasons.get(attempt.reason) ?? 0) + 1);
    }
  }
  const times = outcomes.map((outcome) => outcome.endedAt - outcome.startedAt);
  const upstreamBytesAborted = sim.requests.filter((request) => request.model !== "a13-fallback" && request.aborted).length;
  await recordFigures(
    {
      id: "A13",
      title: `endless upstream: ${cases.map((entry) => entry.what).join(", ")} (×2 each)`,
      invariant: `each call served by the fallback (the endless attempt fails at maxResponseBytes 32 MiB / maxEventBytes 1 MiB); peak RSS ≤ ${ABUSE_RSS_BOUND_MIB} MiB; health p99 ≤ ${HEALTH_P99_BOUND_MS} ms`,
      figures:
        `A13: ${served}/${outcomes.length} served by the fallback in p50 ${ms(percentile(times, 50))} max ${ms(Math.max(...times))}, ` +
        `endless attempts ended ${[...failedReasons.entries()].map(([reason, count]) => `${reason} ${count}`).join(", ")}, endless responses abandoned by the gateway ${upstreamBytesAborted}; ${describeAbuse(result)}`,
    },
    () => {
      expect(served, "calls served by the fallback").toBe(outcomes.length);
      expect(healthProblems(result).join("; "), "broken bounds").toBe("");
    },
  );
});

it("A14: 1,000 streams opened at once to a healthy 2 s upstream all complete, and the vendor is never blamed (issue 15 #4)", async () => {
  const STREAMS = 1_000;
  // 20 deltas, 100 ms apart: a 2 s stream.
  sim.setDefault({ text: Array.from({ length: 20 }, (_, index) => `w${index}`).join(" "), tokenIntervalMs: 100 });
  const config = {
    providers: simProviders(sim),
    deployments: { main: simDeployment("openai", "a14-main"), spare: simDeployment("anthropic", "a14-spare") },
    aliases: { chat: { tiers: [["main"], ["spare"]] } },
  };
  const result = await underAbuse("a14", config, async (gateway) => {
    const clients = clientsFor(gateway.url);
    const began = Date.now();
    const outcomes = await runBounded(STREAMS, STREAMS, (index) => callStream(clients[PROTOCOLS[index % PROTOCOLS.length]], ask("chat", `a14-${index}`), { timeoutMs: 60_000 }));
    const stats = await clients["grpc-h2c"].getDeploymentStats({ deployments: ["main"] });
    return { outcomes, durationMs: Date.now() - began, stats: stats.stats[0] };
  });
  const { outcomes, durationMs, stats } = result.value;
  const completed = outcomes.filter((outcome) => outcome.code === "OK" && routeOf(outcome)?.deployment === "main" && deliveredText(outcome).split(" ").length === 20).length;
  const failedAttempts = outcomes.flatMap((outcome) => routeOf(outcome)?.attempts ?? []).filter((attempt) => attempt.outcome !== 1);
  const ttft = outcomes.filter((outcome) => outcome.firstContentAt !== undefined).map((outcome) => (outcome.firstContentAt ?? 0) - outcome.startedAt);
  const codes = new Map<string, number>();
  for (const outcome of outcomes) codes.set(outcome.code === "OK" ? "OK" : Code[outcome.code], (codes.get(outcome.code === "OK" ? "OK" : Code[outcome.code]) ?? 0) + 1);
  await recordFigures(
    {
      id: "A14",
      title: "1,000 streams opened at once, 2 s each, healthy upstream, default pool and overload gate",
      invariant: `100 % completed from the primary with all 20 deltas; 0 failed attempts and 0 failures in the primary's stats (queueing is not the vendor's fault); peak RSS ≤ ${ABUSE_RSS_BOUND_MIB} MiB; health p99 ≤ ${HEALTH_P99_BOUND_MS} ms`,
      figures:
        `A14: ${completed}/${STREAMS} completed in ${(durationMs / 1000).toFixed(1)} s (${[...codes.entries()].map(([code, count]) => `${code} ${count}`).join(", ")}), ` +
        `time to first token p50 ${ms(percentile(ttft, 50))} p99 ${ms(percentile(ttft, 99))} (upstream alone: ~0 ms), failed attempts ${failedAttempts.length}, ` +
        `primary's stats: attempts ${Number(stats?.attempts ?? -1)}, failures ${Number(stats?.failures ?? -1)}; ${describeAbuse(result)}`,
    },
    () => {
      expect(completed, "streams completed from the primary").toBe(STREAMS);
      expect(failedAttempts, "failed attempts").toHaveLength(0);
      expect(Number(stats?.failures ?? -1), "failures in the primary's stats").toBe(0);
      expect(healthProblems(result).join("; "), "broken bounds").toBe("");
    },
  );
});
