/**
 * Caller limits and request ids together, on a gateway process whose Redis answers every command
 * 200 ms late (a loopback proxy that holds each reply), so round trips can be counted by the clock:
 * - a call with both a request id and limits waits one Redis round trip, not two (the limit check and
 *   the id's claim are sent together);
 * - duplicates of a request id bill the caller's budget and the cost metric once, on both edges;
 * - a call refused by its limits reaches no vendor, unary or streamed;
 * - a daily budget kept in Redis stops spend within one call's cost: the call that crosses it finishes,
 *   the next is refused.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Code, ConnectError } from "@connectrpc/connect";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startRedis, type RedisSetup } from "../../bench/lib/redis-servers.js";
import { ErrorInfoSchema } from "../../gen/google/rpc/error_details_pb.js";
import { AnswerSource } from "../../gen/modelgate/v1/routing_pb.js";
import { budgetPeriods } from "../../src/callers/caller-limiter.js";
import { generateCallerKey, hashCallerKey } from "../../src/callers/caller-key.js";
import { startSimulator, type Simulator } from "../../src/simulator/index.js";
import { userText } from "../e2e/harness.js";
import { startTcpFaultProxy, type TcpFaultProxy } from "../support/tcp-fault-proxy.js";
import { startReplica, writeConfig, type Replica } from "./replicas.js";

const REPLY_DELAY_MS = 200;

const outcome = (promise: Promise<unknown>): Promise<Code | "OK"> => promise.then(() => "OK" as const, (error: unknown) => ConnectError.from(error).code);

describe("caller limits and request ids through a Redis that answers 200 ms late", () => {
  let redis: RedisSetup;
  let proxy: TcpFaultProxy;
  let simulator: Simulator;
  let directory: string;
  let gateway: Replica;
  const budgeted = generateCallerKey();
  const strict = generateCallerKey();
  const thrifty = generateCallerKey();

  const ask = (key: string, requestId: string | undefined, text = "hi") =>
    gateway.client.complete({ model: "chat", requestId, messages: [userText(text)] }, { headers: { authorization: `Bearer ${key}` } });
  const vendorCalls = (): number => simulator.requests.filter((request) => request.model === "priced").length;

  beforeAll(async () => {
    redis = await startRedis();
    // Replies REPLY_DELAY_MS after Redis sent them; requests at once.
    proxy = await startTcpFaultProxy({ port: redis.nodes[0].port }, { kind: "delay", ms: REPLY_DELAY_MS });
    simulator = await startSimulator();
    simulator.program({ model: "priced", behavior: { text: "the answer", usage: { inputTokens: 1_000, outputTokens: 500 } } });
    directory = mkdtempSync(join(tmpdir(), "modelgate-limits-ids-"));
    writeConfig(join(directory, "gateway.yaml"), {
      server: { host: "127.0.0.1", port: 0, logLevel: "info", playground: false, shutdownGraceMs: 0 },
      reload: { watchFile: false },
      redis: { url: `redis://127.0.0.1:${proxy.port}`, commandTimeoutMs: 2_000, refreshMs: 60_000 },
      providers: { sim: { kind: "openai", baseUrl: simulator.baseUrl("openai"), apiKey: "sk-test" } },
      deployments: { priced: { provider: "sim", model: "priced", price: { inputNanoUsd: 1_000, outputNanoUsd: 2_000, asOf: "2026-01-01" } } },
      aliases: { chat: { tiers: [["priced"]] } },
      auth: {
        keys: [
          { id: "budgeted", sha256: hashCallerKey(budgeted), policy: { requestsPerMinute: 1_000, tokensPerMinute: 10_000_000, dailyBudgetUsd: 100 } },
          { id: "strict", sha256: hashCallerKey(strict), policy: { requestsPerMinute: 2 } },
          // 0.003 USD a day: calls of 0.002 USD (1,000 input tokens at 1 µUSD, 500 output at 2 µUSD).
          { id: "thrifty", sha256: hashCallerKey(thrifty), policy: { dailyBudgetUsd: 0.003 } },
        ],
      },
    });
    gateway = await startReplica("gateway", join(directory, "gateway.yaml"));
    // The first call of a key looks it up (one more round trip) and loads the scripts.
    expect(await outcome(ask(budgeted, undefined))).toBe("OK");
  }, 120_000);

  afterAll(async () => {
    await gateway?.stop();
    await proxy?.close();
    await simulator?.close();
    await redis?.stop();
    if (directory !== undefined) rmSync(directory, { recursive: true, force: true });
  });

  it("waits one Redis round trip for the limit check and the request id's claim together", async () => {
    const elapsed: number[] = [];
    for (let call = 0; call < 4; call++) {
      const started = performance.now();
      const answer = await ask(budgeted, `one-trip-${call}`);
      elapsed.push(performance.now() - started);
      expect(answer.route?.source).toBe(AnswerSource.UPSTREAM);
    }
    console.log(`limits + request id, Redis ${REPLY_DELAY_MS} ms late: ${elapsed.map((ms) => ms.toFixed(0)).join(", ")} ms`);
    // One round trip: ≥ the delay; two would be ≥ twice it.
    for (const ms of elapsed) {
      expect(ms).toBeGreaterThanOrEqual(REPLY_DELAY_MS);
      expect(ms).toBeLessThan(1.75 * REPLY_DELAY_MS);
    }
  }, 30_000);

  it("bills duplicates of a request id once, in the key's budget and in the cost metric", async () => {
    const spendKey = `modelgate:{caller:budgeted}:spend:${budgetPeriods(Date.now()).day}`;
    const reader = new Redis({ port: redis.nodes[0].port, host: "127.0.0.1" });
    const costMetric = async (): Promise<number> => {
      const text = await (await fetch(`${gateway.url}/metrics`)).text();
      return text
        .split("\n")
        .filter((line) => line.startsWith("modelgate_cost_usd_total{") && line.includes('caller="budgeted"'))
        .reduce((sum, line) => sum + Number(line.split(" ").at(-1)), 0);
    };
    const settled = async (): Promise<[number, number]> => {
      await new Promise((resolve) => setTimeout(resolve, 3 * REPLY_DELAY_MS));
      return [Number((await reader.get(spendKey)) ?? 0), await costMetric()];
    };
    try {
      const [spendBefore, metricBefore] = await settled();
      const first = await ask(budgeted, "billed-once");
      const [spendAfterOne, metricAfterOne] = await settled();
      const oneCallMicroUsd = spendAfterOne - spendBefore;
      expect(oneCallMicroUsd).toBeGreaterThan(0);
      expect(first.costMicroUsd).toBe(BigInt(oneCallMicroUsd));
      const duplicates = await Promise.all([0, 1, 2].map(() => ask(budgeted, "billed-once")));
      expect(duplicates.map((answer) => answer.route?.source)).toEqual(Array(3).fill(AnswerSource.IDEMPOTENT_REPLAY));
      const [spendAfterAll, metricAfterAll] = await settled();
      expect(spendAfterAll - spendBefore).toBe(oneCallMicroUsd);
      expect(metricAfterAll - metricBefore).toBeCloseTo(metricAfterOne - metricBefore, 9);
      expect(metricAfterOne - metricBefore).toBeCloseTo(oneCallMicroUsd / 1_000_000, 9);

      // The same through the OpenAI-compatible edge (its request id is the x-request-id header).
      const chat = () =>
        fetch(`${gateway.url}/v1/chat/completions`, {
          method: "POST",
          headers: { authorization: `Bearer ${budgeted}`, "content-type": "application/json", "x-request-id": "billed-once-openai" },
          body: JSON.stringify({ model: "chat", messages: [{ role: "user", content: "hi" }] }),
        }).then(async (response) => [response.status, response.headers.get("x-modelgate-source")] as const);
      expect(await chat()).toEqual([200, "upstream"]);
      const [spendAfterOpenAI] = await settled();
      expect(spendAfterOpenAI - spendAfterAll).toBe(oneCallMicroUsd);
      expect(await Promise.all([chat(), chat()])).toEqual([
        [200, "idempotent-replay"],
        [200, "idempotent-replay"],
      ]);
      const [spendAfterOpenAIDuplicates] = await settled();
      expect(spendAfterOpenAIDuplicates).toBe(spendAfterOpenAI);
    } finally {
      reader.disconnect();
    }
  }, 30_000);

  it("sends no call its limits refused to the vendor, unary or streamed, with or without a request id", async () => {
    expect(await outcome(ask(strict, "strict-1"))).toBe("OK");
    expect(await outcome(ask(strict, undefined))).toBe("OK");
    const before = vendorCalls();
    expect(await outcome(ask(strict, "strict-3"))).toBe(Code.ResourceExhausted);
    expect(await outcome(ask(strict, undefined))).toBe(Code.ResourceExhausted);
    const streamed = async (requestId: string | undefined) => {
      const events = gateway.client.streamComplete({ model: "chat", requestId, messages: [userText("hi")] }, { headers: { authorization: `Bearer ${strict}` } });
      for await (const _event of events) {
        // drained
      }
    };
    expect(await outcome(streamed("strict-5"))).toBe(Code.ResourceExhausted);
    expect(await outcome(streamed(undefined))).toBe(Code.ResourceExhausted);
    // A duplicate of an answered id is refused too: over its limit, a caller gets no answer at all.
    expect(await outcome(ask(strict, "strict-1"))).toBe(Code.ResourceExhausted);
    expect(vendorCalls()).toBe(before);
  }, 30_000);

  it("stops a daily budget kept in Redis within one call's cost: the call that crosses it finishes, the next is refused", async () => {
    const spendKey = `modelgate:{caller:thrifty}:spend:${budgetPeriods(Date.now()).day}`;
    const reader = new Redis({ port: redis.nodes[0].port, host: "127.0.0.1" });
    try {
      const before = vendorCalls();
      expect(await outcome(ask(thrifty, undefined))).toBe("OK");
      // 0.002 spent of 0.003: admitted, and it crosses the budget.
      expect(await outcome(ask(thrifty, undefined))).toBe("OK");
      const refused = await ask(thrifty, undefined).catch((error: unknown) => ConnectError.from(error));
      expect(refused).toBeInstanceOf(ConnectError);
      expect((refused as ConnectError).code).toBe(Code.ResourceExhausted);
      expect((refused as ConnectError).findDetails(ErrorInfoSchema)[0]?.reason).toBe("COST_LIMIT_EXCEEDED");
      expect(vendorCalls() - before).toBe(2);
      await new Promise((resolve) => setTimeout(resolve, 3 * REPLY_DELAY_MS));
      const spentMicroUsd = Number(await reader.get(spendKey));
      console.log(`daily budget 3000 µUSD in Redis: spent ${spentMicroUsd} µUSD in 2 calls, the third refused`);
      expect(spentMicroUsd).toBe(4_000);
      expect(spentMicroUsd - 3_000).toBeLessThan(2_000);
    } finally {
      reader.disconnect();
    }
  }, 30_000);
});
