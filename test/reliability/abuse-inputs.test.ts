/**
 * Abuse through the API itself (issue 15, defects 1, 2, 6 and 7, and oversized inputs), each against a
 * fresh gateway with the health prober running throughout: a huge one-word prompt, thousands of
 * caller-chosen `provider/model` names, a 50,000-deep tool schema, a vendor 429 that echoes the API key,
 * oversized messages, and a model whose only deployment has its breaker open. Health p99 stays ≤ 50 ms,
 * RSS stays bounded, and each gets the right answer without reaching the vendor when it should not.
 */
import { ConnectError } from "@connectrpc/connect";
import { afterAll, beforeAll, beforeEach, expect, it } from "vitest";
import { startSimulator, type Simulator } from "../../src/simulator/index.js";
import { percentile, userText } from "../e2e/harness.js";
import { ABUSE_RSS_BOUND_MIB, describeAbuse, healthProblems, HEALTH_P99_BOUND_MS, underAbuse } from "./support/abuse.js";
import { mib, ms, recordFigures } from "./support/figures.js";
import { ask, callStream, callUnary, clientsFor, Code, PROTOCOLS, runBounded, simDeployment, simProviders, type CallOutcome } from "./support/battery.js";

let sim: Simulator;
/** How long the tests whose abuse is a single burst repeat it, so the health prober gets ~150 samples. */
const ROUNDS_FOR_MS = 3_000;

beforeAll(async () => {
  sim = await startSimulator();
});
beforeEach(() => {
  sim.reset();
});
afterAll(async () => {
  await sim?.close();
});

function baseConfig(extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    providers: simProviders(sim),
    deployments: { main: simDeployment("openai", "abuse-main") },
    aliases: { chat: { tiers: [["main"]] } },
    ...extra,
  };
}


const codeName = (code: CallOutcome["code"]): string => (code === "OK" ? "OK" : Code[code]);

function codeCounts(outcomes: CallOutcome[]): string {
  const counts = new Map<string, number>();
  for (const outcome of outcomes) counts.set(codeName(outcome.code), (counts.get(codeName(outcome.code)) ?? 0) + 1);
  return [...counts.entries()].map(([code, count]) => `${code} ${count}`).join(", ");
}

it("A7: 300 KB one-word prompts never hold the event loop (issue 15 #1)", async () => {
  const word = "x".repeat(300 * 1024);
  const result = await underAbuse(
    "a7",
    baseConfig({
      deployments: { main: simDeployment("openai", "abuse-main", { contextWindow: 1_000 }), big: simDeployment("anthropic", "abuse-big", { contextWindow: 1_000_000 }) },
      aliases: { chat: { tiers: [["main"], ["big"]] } },
    }),
    async (gateway) => {
      const clients = clientsFor(gateway.url);
      // Rounds of four at once, one per protocol, for 3 s: each prompt is larger than the smallest context
      // window, so its exact token count runs (the path that froze the gateway for ~40 s per prompt).
      const outcomes: CallOutcome[] = [];
      const until = Date.now() + ROUNDS_FOR_MS;
      for (let round = 0; Date.now() < until; round++) {
        outcomes.push(
          ...(await Promise.all(
            PROTOCOLS.map((protocol, index) => callUnary(clients[protocol], { ...ask("chat", `a7-${round}-${index}`), messages: [userText(word)] }, 15_000)),
          )),
        );
      }
      return outcomes;
    },
  );
  const times = result.value.map((outcome) => outcome.endedAt - outcome.startedAt);
  await recordFigures(
    {
      id: "A7",
      title: "300 KB one-word prompts, 4 at a time for 3 s (smallest context window 1,000 tokens)",
      invariant: `health p99 ≤ ${HEALTH_P99_BOUND_MS} ms while the prompts are counted; each call answered within its 15 s deadline (not DEADLINE_EXCEEDED); peak RSS ≤ ${ABUSE_RSS_BOUND_MIB} MiB`,
      figures: `A7: ${result.value.length} calls answered ${codeCounts(result.value)} in p50 ${ms(percentile(times, 50))} max ${ms(Math.max(...times))}; ${describeAbuse(result)}`,
    },
    () => {
      for (const outcome of result.value) expect(outcome.code, outcome.message).not.toBe(Code.DeadlineExceeded);
      expect(healthProblems(result).join("; "), "broken bounds").toBe("");
    },
  );
});

it("A8: thousands of caller-chosen provider/model names are refused, or kept within a bound (issue 15 #2)", async () => {
  const REFUSED = 3_000;
  // RSS is compared between name 3,000 (past the bound, so forgetting has begun and the heap has warmed
  // up) and name 8,000. Without a bound the 5,000 names between add ~32 MiB (6.5 KB each, measured with
  // maxAdHocDeployments 1,000,000); with it, about nothing.
  const SERVED_WARM = 3_000;
  const SERVED = 8_000;
  const MAX_AD_HOC = 1_000;
  const RSS_GROWTH_BOUND_MIB = 16;
  // Paced (16 in flight): the abuse is the names, not the load (A13 floods on purpose).
  const CONCURRENCY = 16;
  const config = baseConfig({
    providers: { ...simProviders(sim), open: { kind: "openai", baseUrl: sim.baseUrl("openai"), apiKey: "sim-key", allowAnyModel: true } },
    routing: { maxAdHocDeployments: MAX_AD_HOC },
    // After 1 s idle the gateway collects garbage and returns the young generation: RSS then tracks what is live.
    server: { releaseIdleMemoryAfterMs: 1_000 },
  });
  const settle = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 3_000));
  const result = await underAbuse("a8", config, async (gateway) => {
    const client = clientsFor(gateway.url)["connect-h2c"];
    const refused = await runBounded(REFUSED, CONCURRENCY, (index) => callUnary(client, ask(`sim-openai/name-${index}`, `a8-r-${index}`), 10_000));
    const upstreamAfterRefused = sim.requests.length;
    const warm = await runBounded(SERVED_WARM, CONCURRENCY, (index) => callUnary(client, ask(`open/name-${index}`, `a8-s-${index}`), 10_000));
    await settle();
    const rssWarm = gateway.rssMiB();
    const rest = await runBounded(SERVED - SERVED_WARM, CONCURRENCY, (index) => callUnary(client, ask(`open/name-${SERVED_WARM + index}`, `a8-s-${SERVED_WARM + index}`), 10_000));
    await settle();
    const rssAfter = gateway.rssMiB();
    const stats = await client.getDeploymentStats({ deployments: ["open/name-0", `open/name-${SERVED - 1}`] });
    return { refused, upstreamAfterRefused, served: [...warm, ...rest], rssWarm, rssAfter, stats: stats.stats };
  });
  const { refused, upstreamAfterRefused, served, rssWarm, rssAfter, stats } = result.value;
  const attemptsOf = (name: string): number => Number(stats.find((entry) => entry.deployment === name)?.attempts ?? -1);
  const firstRequests = attemptsOf("open/name-0");
  const lastRequests = attemptsOf(`open/name-${SERVED - 1}`);
  await recordFigures(
    {
      id: "A8",
      title: `${REFUSED.toLocaleString("en")} unknown provider/model names on a closed provider, ${SERVED.toLocaleString("en")} on an allowAnyModel provider (scaled from 60,000)`,
      invariant: `closed provider: every name refused, 0 upstream calls; open provider: per-name state bounded (maxAdHocDeployments ${MAX_AD_HOC}: the first name forgotten, the last kept), RSS growth from name ${SERVED_WARM} to ${SERVED} ≤ ${RSS_GROWTH_BOUND_MIB} MiB after idle collection; health p99 ≤ ${HEALTH_P99_BOUND_MS} ms`,
      figures:
        `A8: closed provider ${codeCounts(refused)}, upstream calls ${upstreamAfterRefused}; open provider ${codeCounts(served)}, ` +
        `RSS after ${SERVED_WARM} names ${mib(rssWarm)}, after ${SERVED} ${mib(rssAfter)} (+${(rssAfter - rssWarm).toFixed(1)}), ` +
        `attempts in the stats of the first name ${firstRequests}, of the last ${lastRequests}; ${describeAbuse(result)}`,
    },
    () => {
      expect(refused.every((outcome) => outcome.code !== "OK")).toBe(true);
      expect(upstreamAfterRefused).toBe(0);
      expect(served.every((outcome) => outcome.code === "OK")).toBe(true);
      expect(firstRequests).toBe(0);
      expect(lastRequests).toBe(1);
      expect(rssAfter - rssWarm).toBeLessThanOrEqual(RSS_GROWTH_BOUND_MIB);
      expect(healthProblems(result).join("; "), "broken bounds").toBe("");
    },
  );
});

it("A9: a tool schema nested 50,000 deep is INVALID_ARGUMENT on every protocol, unary and streamed (issue 15 #7)", async () => {
  const depth = 50_000;
  const schema = `${'{"type":"object","properties":{"a":'.repeat(depth)}{"type":"string"}${"}}".repeat(depth)}`;
  const result = await underAbuse("a9", baseConfig(), async (gateway) => {
    const clients = clientsFor(gateway.url);
    // Rounds of eight at once (4 protocols × unary/stream) for 3 s, so the health figure has samples.
    const outcomes: CallOutcome[] = [];
    const until = Date.now() + ROUNDS_FOR_MS;
    for (let round = 0; Date.now() < until; round++) {
      outcomes.push(
        ...(await Promise.all(
          PROTOCOLS.flatMap((protocol, index) => {
            const request = { ...ask("chat", `a9-${round}-${index}`), tools: [{ name: "deep", parametersJsonSchema: schema }] };
            return [callUnary(clients[protocol], request, 10_000), callStream(clients[protocol], { ...request, requestId: `a9-${round}-s-${index}` }, { timeoutMs: 10_000 })];
          }),
        )),
      );
    }
    return outcomes;
  });
  await recordFigures(
    {
      id: "A9",
      title: `a tool JSON schema nested ${depth.toLocaleString("en")} deep (${mib(schema.length / 2 ** 20)}), 8 at a time (4 protocols × unary/stream) for 3 s`,
      invariant: `every call INVALID_ARGUMENT, 0 upstream calls; health p99 ≤ ${HEALTH_P99_BOUND_MS} ms; peak RSS ≤ ${ABUSE_RSS_BOUND_MIB} MiB`,
      figures: `A9: ${result.value.length} calls ${codeCounts(result.value)}, upstream calls ${sim.requests.length}; ${describeAbuse(result)}`,
    },
    () => {
      for (const outcome of result.value) expect(codeName(outcome.code), outcome.message).toBe("InvalidArgument");
      expect(sim.requests).toHaveLength(0);
      expect(healthProblems(result).join("; "), "broken bounds").toBe("");
    },
  );
});

/** Everything a client can see of a failed call: code, message, headers, trailers and details. */
function visibleToClient(error: unknown): string {
  const connectError = ConnectError.from(error);
  const headers: string[] = [];
  connectError.metadata.forEach((value, key) => {
    headers.push(`${key}: ${value}`);
  });
  // Incoming details are raw: a type name and the message bytes.
  const details = connectError.details.map((detail) =>
    "desc" in detail ? JSON.stringify(detail.value) : `${detail.type} ${Buffer.from(detail.value).toString("latin1")}`,
  );
  return [connectError.code, connectError.rawMessage, ...headers, ...details].join("\n");
}

it("A10: a vendor 429 whose error.code is the API key never shows the key to the client or in the log (issue 15 #6)", async () => {
  const key = `sk-canary-${Math.random().toString(36).slice(2)}${Math.random().toString(36).slice(2)}`;
  const config = {
    providers: { keyed: { kind: "openai", baseUrl: sim.baseUrl("openai"), apiKey: key } },
    deployments: { main: { provider: "keyed", model: "abuse-keyed" } },
    aliases: { chat: { tiers: [["main"]] } },
    // The breaker never opens, so every call meets the vendor's key-bearing 429 (not our own refusal).
    routing: { breaker: { consecutiveFailures: 1_000_000, minimumRequests: 1_000_000 } },
  };
  sim.program({ model: "abuse-keyed", behavior: { fault: { kind: "status", status: 429, errorCode: key, message: `Rate limit reached for key ${key}.` } } });
  const result = await underAbuse("a10", config, async (gateway) => {
    const clients = clientsFor(gateway.url);
    const seen: string[] = [];
    const outcomes: CallOutcome[] = [];
    const failedWith = (error: unknown): void => {
      seen.push(visibleToClient(error));
      outcomes.push({ code: ConnectError.from(error).code, message: "", events: [], startedAt: 0, endedAt: 0 });
    };
    // Rounds over the 4 protocols, unary and streamed, for 3 s.
    const until = Date.now() + ROUNDS_FOR_MS;
    for (let round = 0; Date.now() < until; round++) {
      for (const [index, protocol] of PROTOCOLS.entries()) {
        try {
          await clients[protocol].complete(ask("chat", `a10-${round}-${index}`), { timeoutMs: 10_000 });
          outcomes.push({ code: "OK", message: "", events: [], startedAt: 0, endedAt: 0 });
        } catch (error) {
          failedWith(error);
        }
        try {
          for await (const _event of clients[protocol].streamComplete(ask("chat", `a10-${round}-s-${index}`), { timeoutMs: 10_000 })) void _event;
          outcomes.push({ code: "OK", message: "", events: [], startedAt: 0, endedAt: 0 });
        } catch (error) {
          failedWith(error);
        }
      }
    }
    await new Promise((resolve) => setTimeout(resolve, 300));
    return { seen, outcomes, log: gateway.output() };
  });
  const { seen, outcomes, log } = result.value;
  const inClient = seen.filter((text) => text.includes(key)).length;
  const inLog = log.split(key).length - 1;
  await recordFigures(
    {
      id: "A10",
      title: "a 429 whose error.code (and message) is the provider's API key, 4 protocols × unary/stream, for 3 s",
      invariant: `the key in 0 client-visible errors (message, headers, trailers, details) and 0 times in the gateway's output; the call fails UNAVAILABLE (an upstream 429); health p99 ≤ ${HEALTH_P99_BOUND_MS} ms`,
      figures: `A10: ${outcomes.length} calls ${codeCounts(outcomes)}, upstream calls ${sim.requests.length}, key in client errors ${inClient}/${seen.length}, key in the log ${inLog} times (${log.length} bytes scanned); ${describeAbuse(result)}`,
    },
    () => {
      expect(outcomes.every((outcome) => outcome.code === Code.Unavailable)).toBe(true);
      expect(inClient).toBe(0);
      expect(inLog).toBe(0);
      expect(healthProblems(result).join("; "), "broken bounds").toBe("");
    },
  );
});

it("A11: oversized inputs (a 2 MiB message over a 1 MiB limit, one message too many) are refused before any upstream call", async () => {
  const config = baseConfig({ server: { maxMessageBytes: 1024 * 1024, maxMessages: 50 } });
  const result = await underAbuse("a11", config, async (gateway) => {
    const clients = clientsFor(gateway.url);
    const huge = "y ".repeat(1024 * 1024);
    const many = Array.from({ length: 51 }, (_, index) => userText(`message ${index}`));
    // Rounds of twelve at once for 3 s, so the health figure has samples.
    const outcomes: CallOutcome[] = [];
    const until = Date.now() + ROUNDS_FOR_MS;
    for (let round = 0; Date.now() < until; round++) {
      const calls: Promise<CallOutcome>[] = [];
      for (const [index, protocol] of PROTOCOLS.entries()) {
        calls.push(callUnary(clients[protocol], { ...ask("chat", `a11-${round}-big-${index}`), messages: [userText(huge)] }, 10_000));
        calls.push(callStream(clients[protocol], { ...ask("chat", `a11-${round}-big-s-${index}`), messages: [userText(huge)] }, { timeoutMs: 10_000 }));
        calls.push(callUnary(clients[protocol], { ...ask("chat", `a11-${round}-many-${index}`), messages: many }, 10_000));
      }
      outcomes.push(...(await Promise.all(calls)));
    }
    return outcomes;
  });
  const big = result.value.filter((_, index) => index % 3 !== 2);
  const many = result.value.filter((_, index) => index % 3 === 2);
  await recordFigures(
    {
      id: "A11",
      title: "oversized inputs: 2 MiB message (limit 1 MiB) unary and streamed, 51 messages (limit 50), 4 protocols, for 3 s",
      invariant: `too large → RESOURCE_EXHAUSTED; too many → INVALID_ARGUMENT or RESOURCE_EXHAUSTED; 0 upstream calls; health p99 ≤ ${HEALTH_P99_BOUND_MS} ms; peak RSS ≤ ${ABUSE_RSS_BOUND_MIB} MiB`,
      figures: `A11: too large ${codeCounts(big)}; too many ${codeCounts(many)}; upstream calls ${sim.requests.length}; ${describeAbuse(result)}`,
    },
    () => {
      for (const outcome of big) expect(codeName(outcome.code), `too large: ${outcome.message}`).toBe("ResourceExhausted");
      for (const outcome of many) expect(["InvalidArgument", "ResourceExhausted"], `too many: ${outcome.message}`).toContain(codeName(outcome.code));
      expect(sim.requests).toHaveLength(0);
      expect(healthProblems(result).join("; "), "broken bounds").toBe("");
    },
  );
});

it("A12: a model whose only deployment has its breaker open answers UNAVAILABLE, so clients retry (issue 15 #7)", async () => {
  const config = baseConfig({ routing: { breaker: { consecutiveFailures: 2, openMs: 60_000 }, retry: { maxRetriesPerDeployment: 0 } } });
  sim.program({ model: "abuse-main", behavior: { fault: { kind: "status", status: 500 } } });
  const result = await underAbuse("a12", config, async (gateway) => {
    const client = clientsFor(gateway.url)["grpc-h2c"];
    const tripping = [await callUnary(client, ask("chat", "a12-0"), 5_000), await callUnary(client, ask("chat", "a12-1"), 5_000)];
    const upstreamBefore = sim.requests.length;
    // Calls for 3 s while the breaker is open (openMs 60 s), unary and streamed.
    const whileOpen: CallOutcome[] = [];
    const until = Date.now() + ROUNDS_FOR_MS;
    for (let round = 0; Date.now() < until; round++) {
      whileOpen.push(await callUnary(client, ask("chat", `a12-${round}`), 5_000), await callStream(client, ask("chat", `a12-s-${round}`), { timeoutMs: 5_000 }));
    }
    return { tripping, whileOpen, upstreamBefore, upstreamAfter: sim.requests.length };
  });
  const { tripping, whileOpen, upstreamBefore, upstreamAfter } = result.value;
  await recordFigures(
    {
      id: "A12",
      title: "only open breakers: the single deployment failed twice (consecutiveFailures 2)",
      invariant: "with the breaker open: UNAVAILABLE (not FAILED_PRECONDITION), no upstream call",
      figures: `A12: tripping calls ${codeCounts(tripping)}; with the breaker open ${codeCounts(whileOpen)} (“${whileOpen[0]?.message}”), upstream calls while open ${upstreamAfter - upstreamBefore}; ${describeAbuse(result)}`,
    },
    () => {
      for (const outcome of whileOpen) expect(codeName(outcome.code), outcome.message).toBe("Unavailable");
      expect(upstreamAfter).toBe(upstreamBefore);
      expect(healthProblems(result).join("; "), "broken bounds").toBe("");
    },
  );
});
