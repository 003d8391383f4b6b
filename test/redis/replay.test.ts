/**
 * Requests answered once, across two gateway processes sharing one Redis, with the vendor simulator
 * upstream (src/replay/): 50 concurrent duplicates of one request id spread over both replicas reach
 * the vendor once; a stream cut by its client after 5 of 20 events and resumed on the other replica
 * gets the other 15 exactly once; a replica killed mid-stream leaves a clear RUN_LOST; cache hits and
 * misses are counted in GetDeploymentStats. Then the memory-only variants on one replica. These replicas
 * keep a run whose readers left for 10 s (`replay.keepDetachedRunsMs`), which a resume needs; two more
 * with the default 0 show that a run stops when its last reader, on either replica, goes away.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ConnectError } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AnswerSource } from "../../gen/modelgate/v1/routing_pb.js";
import type { StreamCompleteResponse } from "../../gen/modelgate/v1/stream_pb.js";
import { ErrorInfoSchema } from "../../gen/google/rpc/error_details_pb.js";
import { startSimulator, type Simulator } from "../../src/simulator/index.js";
import { userText } from "../e2e/harness.js";
import { startRedis, type RedisSetup } from "../../bench/lib/redis-servers.js";
import { startReplica, writeConfig, type Replica } from "./replicas.js";

/** 18 one-character deltas: start + 18 + finish = 20 events. */
const TEXT = "abcdefghijklmnopqr";

function gatewayConfig(simulator: Simulator, redis: RedisSetup | undefined, keepDetachedRunsMs = 10_000): Record<string, unknown> {
  return {
    server: { host: "127.0.0.1", port: 0, logLevel: "info", playground: false, shutdownGraceMs: 0 },
    reload: { watchFile: false },
    ...(redis === undefined ? {} : { redis: { ...redis.config, commandTimeoutMs: 500, refreshMs: 100 } }),
    replay: { leaseMs: 900, keepDetachedRunsMs, cache: { aliases: { cached: {} } } },
    providers: { sim: { kind: "openai", baseUrl: simulator.baseUrl("openai"), apiKey: "sk-test" } },
    deployments: {
      slow: { provider: "sim", model: "slow" },
      streamy: { provider: "sim", model: "streamy" },
      facts: { provider: "sim", model: "facts" },
      crawly: { provider: "sim", model: "crawly" },
    },
    aliases: { chat: { tiers: [["slow"]] }, story: { tiers: [["streamy"]] }, cached: { tiers: [["facts"]] }, saga: { tiers: [["crawly"]] } },
  };
}

const upstream = (simulator: Simulator, model: string): number => simulator.requests.filter((request) => request.model === model).length;

function reasonOf(error: unknown): string | undefined {
  return error instanceof ConnectError ? error.findDetails(ErrorInfoSchema)[0]?.reason : undefined;
}

async function readStream(events: AsyncIterable<StreamCompleteResponse>, stopAfter = Infinity): Promise<StreamCompleteResponse[]> {
  const seen: StreamCompleteResponse[] = [];
  for await (const event of events) {
    seen.push(event);
    if (seen.length >= stopAfter) break;
  }
  return seen;
}

const textOf = (events: StreamCompleteResponse[]): string =>
  events.map((event) => (event.event.case === "textDelta" ? event.event.value.text : "")).join("");

describe.each([
  ["two replicas sharing Redis", true],
  ["one replica in memory", false],
])("requests answered once: %s", (_name, withRedis) => {
  let redis: RedisSetup | undefined;
  let simulator: Simulator;
  let directory: string;
  let a: Replica;
  let b: Replica;

  beforeAll(async () => {
    redis = withRedis ? await startRedis() : undefined;
    simulator = await startSimulator();
    simulator.program({ model: "slow", behavior: { text: "the one answer", firstTokenDelayMs: 300 } });
    simulator.program({ model: "streamy", behavior: { text: TEXT, chunkChars: 1, tokenIntervalMs: 40 } });
    simulator.program({ model: "facts", behavior: { text: "water is wet", usage: { inputTokens: 10, outputTokens: 3 } } });
    simulator.program({ model: "crawly", behavior: { text: TEXT, chunkChars: 1, tokenIntervalMs: 150 } });
    directory = mkdtempSync(join(tmpdir(), "modelgate-replay-"));
    writeConfig(join(directory, "a.yaml"), gatewayConfig(simulator, redis));
    a = await startReplica("a", join(directory, "a.yaml"));
    b = withRedis ? await startReplica("b", join(directory, "a.yaml")) : a;
  }, 120_000);

  afterAll(async () => {
    await Promise.all([a, b].filter((replica) => replica !== undefined).map((replica) => replica.stop()));
    await simulator?.close();
    await redis?.stop();
    if (directory !== undefined) rmSync(directory, { recursive: true, force: true });
  });

  it("50 concurrent duplicates of one request id reach the vendor once and get 50 identical answers", async () => {
    const started = performance.now();
    const answers = await Promise.all(
      Array.from({ length: 50 }, (_, index) =>
        (index % 2 === 0 ? a : b).client.complete({ model: "chat", requestId: "dup-50", messages: [userText("hi")] }),
      ),
    );
    const elapsedMs = performance.now() - started;
    expect(upstream(simulator, "slow")).toBe(1);
    expect(new Set(answers.map((answer) => answer.text))).toEqual(new Set(["the one answer"]));
    expect(answers.filter((answer) => answer.route?.source === AnswerSource.UPSTREAM)).toHaveLength(1);
    expect(answers.filter((answer) => answer.route?.source === AnswerSource.IDEMPOTENT_REPLAY)).toHaveLength(49);
    const later = await b.client.complete({ model: "chat", requestId: "dup-50", messages: [userText("hi")] });
    expect(later.text).toBe("the one answer");
    expect(upstream(simulator, "slow")).toBe(1);
    console.log(`idempotency (${_name}): 50 duplicates answered in ${elapsedMs.toFixed(0)} ms with 1 upstream call`);

    await expect(b.client.complete({ model: "chat", requestId: "dup-50", messages: [userText("something else")] })).rejects.toSatisfy(
      (error) => reasonOf(error) === "REQUEST_ID_REUSED",
    );
  }, 30_000);

  it("a stream cut after 5 of 20 events and resumed on the other replica gets the other 15 exactly once", async () => {
    const request = { model: "story", requestId: "resume-1", messages: [userText("tell")] };
    const cut = new AbortController();
    const first = await readStream(a.client.streamComplete(request, { signal: cut.signal }), 5);
    cut.abort();
    expect(first.map((event) => event.position)).toEqual([1, 2, 3, 4, 5]);
    const rest = await readStream(b.client.streamComplete({ ...request, resumeAfterPosition: 5 }));
    const all = [...first, ...rest];
    expect(all.map((event) => event.position)).toEqual(Array.from({ length: 20 }, (_, index) => index + 1));
    expect(all.at(-1)?.event.case).toBe("finish");
    expect(textOf(all)).toBe(TEXT);
    expect(upstream(simulator, "story") + upstream(simulator, "streamy")).toBe(1);
  }, 30_000);

  it("counts cache misses and hits, and bills a hit nothing", async () => {
    const ask = (replica: Replica) => replica.client.complete({ model: "cached", messages: [userText("is water wet?")], sampling: { temperature: 0 } });
    const miss = await ask(a);
    const hit = await ask(b);
    expect(upstream(simulator, "facts")).toBe(1);
    expect(hit.text).toBe(miss.text);
    expect(hit.route?.source).toBe(AnswerSource.CACHE);
    expect(hit.costMicroUsd).toBe(0n);
    // Stats are written in batches (every 100 ms with Redis): poll.
    let counts: bigint[] = [];
    for (const started = Date.now(); Date.now() - started < 2_000; await new Promise((resolve) => setTimeout(resolve, 50))) {
      const stats = await b.client.getDeploymentStats({ deployments: ["facts"] });
      counts = [stats.stats[0].cacheMisses, stats.stats[0].cacheHits];
      if (counts[0] === 1n && counts[1] === 1n) break;
    }
    expect(counts).toEqual([1n, 1n]);
  }, 30_000);

  // Only replicas sharing a Redis can resume another's run: the memory variant has no survivor.
  if (withRedis) {
    it("a replica killed mid-stream: a resume on the survivor is a clear RUN_LOST", async () => {
      const request = { model: "story", requestId: "killed-1", messages: [userText("tell again")] };
      const victim = await startReplica("victim", join(directory, "a.yaml"));
      try {
        const first = await readStream(victim.client.streamComplete(request), 3);
        victim.process.kill("SIGKILL");
        await expect(readStream(b.client.streamComplete({ ...request, resumeAfterPosition: first.at(-1)?.position ?? 0 }))).rejects.toSatisfy(
          (error) => reasonOf(error) === "RUN_LOST",
        );
      } finally {
        // A process killed by a signal keeps exitCode null, which stop() would wait on.
        if (victim.process.signalCode === null) await victim.stop();
      }
    }, 30_000);
  }

  describe("with keepDetachedRunsMs 0", () => {
    let c: Replica;
    let d: Replica;

    beforeAll(async () => {
      writeConfig(join(directory, "keep-0.yaml"), gatewayConfig(simulator, redis, 0));
      c = await startReplica("c", join(directory, "keep-0.yaml"));
      d = withRedis ? await startReplica("d", join(directory, "keep-0.yaml")) : c;
    }, 120_000);

    afterAll(async () => {
      await Promise.all([...new Set([c, d])].filter((replica) => replica !== undefined).map((replica) => replica.stop()));
    });

    const crawlyCalls = () => simulator.requests.filter((request) => request.model === "crawly");
    const waitUntil = async (done: () => boolean, withinMs: number): Promise<void> => {
      const until = Date.now() + withinMs;
      while (!done() && Date.now() < until) await new Promise((resolve) => setTimeout(resolve, 10));
    };

    it("a client's cancel stops the upstream call at once when nobody else reads the run", async () => {
      const before = crawlyCalls().length;
      const cut = new AbortController();
      await readStream(c.client.streamComplete({ model: "saga", requestId: "cancel-alone", messages: [userText("go")] }, { signal: cut.signal }), 3);
      const canceledAt = Date.now();
      cut.abort();
      const call = crawlyCalls()[before];
      await waitUntil(() => call.abortedAt !== undefined, 2_000);
      expect(call.abortedAt, "the upstream call was aborted").toBeDefined();
      expect(call.abortedAt! - canceledAt).toBeLessThan(500);
      expect(crawlyCalls()).toHaveLength(before + 1);
    }, 30_000);

    it("a duplicate still reading keeps the run going after the first caller cancels; it stops when that reader leaves", async () => {
      const before = crawlyCalls().length;
      const request = { model: "saga", requestId: "cancel-shared", messages: [userText("go on")] };
      const cut = new AbortController();
      // Read by hand: leaving a for-await would end the first call before the duplicate joins.
      const first = c.client.streamComplete(request, { signal: cut.signal })[Symbol.asyncIterator]();
      for (let index = 0; index < 3; index++) await first.next();
      const duplicateCut = new AbortController();
      const duplicate = d.client.streamComplete(request, { signal: duplicateCut.signal })[Symbol.asyncIterator]();
      for (let index = 0; index < 3; index++) await duplicate.next();
      cut.abort();
      await first.return?.().catch(() => {});
      const more: StreamCompleteResponse[] = [];
      for (let index = 0; index < 3; index++) more.push((await duplicate.next()).value as StreamCompleteResponse);
      expect(more.map((event) => event.position)).toEqual([4, 5, 6]);
      const call = crawlyCalls()[before];
      expect(call.abortedAt, "the upstream call goes on while the duplicate reads").toBeUndefined();
      const leftAt = Date.now();
      duplicateCut.abort();
      await duplicate.return?.().catch(() => {});
      // A reader on another replica is seen through its mark in Redis, which lapses within a lease (900 ms).
      await waitUntil(() => call.abortedAt !== undefined, 3_000);
      expect(call.abortedAt, "the upstream call was aborted").toBeDefined();
      expect(call.abortedAt! - leftAt).toBeLessThan(withRedis ? 1_500 : 500);
      expect(crawlyCalls()).toHaveLength(before + 1);
    }, 30_000);
  });
});
