import pino from "pino";
import { describe, expect, it } from "vitest";
import { replaySchema } from "../config/schema.js";
import { GatewayError, type CallContext, type CompletionEngine, type GatewayEvent, type GatewayRequest, type GatewayResult } from "../gateway/types.js";
import { createMemoryStore } from "../state/memory-store.js";
import { createMemoryRunLog } from "./memory-run-log.js";
import { createReplayingEngine } from "./replaying-engine.js";

const route = { requestedModel: "chat", strategy: "priority" as const, deployment: "d1", provider: "p", attempts: [] };

interface FakeOptions {
  fail?: () => boolean;
  /** Between two deltas; 2 ms by default. */
  intervalMs?: number;
}

/**
 * An engine whose stream sends `start`, 18 deltas `intervalMs` apart and `finish`: 20 events. Like the
 * real one it stops when its signal aborts; `aborts` holds each abort's reason.
 */
function fakeEngine(options: FakeOptions = {}) {
  const calls = { complete: 0, stream: 0, aborts: [] as unknown[] };
  const watch = (context: CallContext): void => context.signal.addEventListener("abort", () => calls.aborts.push(context.signal.reason), { once: true });
  const engine: CompletionEngine = {
    async complete(request, context): Promise<GatewayResult> {
      calls.complete++;
      watch(context);
      await new Promise((resolve) => setTimeout(resolve, 20));
      context.signal.throwIfAborted();
      if (options.fail?.()) throw new GatewayError("PROVIDER_UNAVAILABLE", "down");
      return {
        requestId: request.requestId, text: `answer ${calls.complete}`, reasoning: "", toolCalls: [], finishReason: "stop", rawFinishReason: "stop",
        usage: { inputTokens: 3, outputTokens: 2 }, costMicroUsd: 7, route, timings: { totalMs: 20 }, warnings: [],
      };
    },
    async *stream(request, context): AsyncGenerator<GatewayEvent> {
      calls.stream++;
      watch(context);
      yield { type: "start", requestId: request.requestId, deployment: "d1", provider: "p" };
      for (let index = 0; index < 18; index++) {
        await new Promise((resolve) => setTimeout(resolve, options.intervalMs ?? 2));
        context.signal.throwIfAborted();
        yield { type: "text-delta", text: `${index} ` };
      }
      if (options.fail?.()) throw new GatewayError("PROVIDER_STREAM_INTERRUPTED", "cut");
      yield { type: "finish", finishReason: "stop", rawFinishReason: "stop", usage: {}, costMicroUsd: 5, route, timings: { totalMs: 1 }, warnings: [], toolCalls: [] };
    },
    listModels: () => ({ aliases: [], deployments: [] }),
    deploymentStats: async (names) => names.map((deployment) => ({
      deployment, attempts: 0, failures: 0, recentErrorRate: 0, inFlight: 0, latency: { samples: 0 }, timeToFirstToken: { samples: 0 },
      inputTokens: 0, outputTokens: 0, costMicroUsd: 0, unpricedAttempts: 0, breakerState: "closed" as const, shadowComparisons: 0,
    })),
    close: async () => {},
  };
  return { engine, calls };
}

function setup(options: FakeOptions & { config?: Record<string, unknown> } = {}) {
  const { engine, calls } = fakeEngine(options);
  const config = replaySchema.parse(options.config ?? {});
  const store = createMemoryStore();
  const replaying = createReplayingEngine(engine, { log: createMemoryRunLog({ maxRuns: 100, maxEvents: 1_000 }), config: () => config, store, logger: pino({ level: "silent" }) });
  return { replaying, calls };
}

function context(caller?: string, signal = new AbortController().signal): CallContext {
  return Object.assign({ signal, deadlineAt: Date.now() + 10_000, receivedAt: Date.now() }, caller === undefined ? {} : { caller: { id: caller } });
}

function request(requestId: string, overrides: Partial<GatewayRequest> = {}): GatewayRequest {
  return {
    model: "chat", messages: [{ role: "user", content: [{ type: "text", text: "hi" }] }] as unknown as GatewayRequest["messages"], sampling: { stopSequences: [], temperature: 0 },
    tools: [], requestId, requestIdFromCaller: true, routing: { tags: [], metadata: {} }, fallback: { disableFallback: false, continueOnInterruption: false }, ...overrides,
  };
}

async function collect(events: AsyncIterable<GatewayEvent>, stopAfter = Infinity): Promise<GatewayEvent[]> {
  const seen: GatewayEvent[] = [];
  for await (const event of events) {
    seen.push(event);
    if (seen.length >= stopAfter) break;
  }
  return seen;
}

describe("the replay layer in memory", () => {
  it("runs 50 concurrent duplicates of one request id once and gives each the same answer", async () => {
    const { replaying, calls } = setup();
    const results = await Promise.all(Array.from({ length: 50 }, () => replaying.complete(request("dup-1"), context())));
    expect(calls.complete).toBe(1);
    expect(new Set(results.map((result) => result.text))).toEqual(new Set(["answer 1"]));
    expect(results.filter((result) => result.route.source === "idempotent-replay")).toHaveLength(49);
    const later = await replaying.complete(request("dup-1"), context());
    expect(later.route.source).toBe("idempotent-replay");
    expect(calls.complete).toBe(1);
    const [stats] = await replaying.deploymentStats(["d1"]);
    expect(stats.idempotentReplays).toBe(50);
  });

  it("refuses the same request id with a different request", async () => {
    const { replaying } = setup();
    await replaying.complete(request("dup-2"), context());
    await expect(replaying.complete(request("dup-2", { model: "other" }), context())).rejects.toMatchObject({ reason: "REQUEST_ID_REUSED" });
  });

  it("scopes request ids to the caller", async () => {
    const { replaying, calls } = setup();
    await replaying.complete(request("shared-id"), context("alice"));
    const bob = await replaying.complete(request("shared-id", { model: "other" }), context("bob"));
    expect(bob.route.source).toBeUndefined();
    expect(calls.complete).toBe(2);
  });

  it("runs a failed request again when its id comes back", async () => {
    let failures = 1;
    const { replaying, calls } = setup({ fail: () => failures-- > 0 });
    await expect(replaying.complete(request("retry-1"), context())).rejects.toMatchObject({ reason: "PROVIDER_UNAVAILABLE" });
    const second = await replaying.complete(request("retry-1"), context());
    expect(second.text).toBe("answer 2");
    expect(calls.complete).toBe(2);
  });

  it("resumes a stream cut after 5 of 20 events with the other 15, exactly once, while the run went on", async () => {
    const { replaying, calls } = setup({ config: { keepDetachedRunsMs: 1_000 } });
    const caller = new AbortController();
    const first = await collect(replaying.stream(request("stream-1"), context(undefined, caller.signal)), 5);
    caller.abort(new GatewayError("CANCELED", "gone"));
    expect(first.map((event) => event.position)).toEqual([1, 2, 3, 4, 5]);
    const rest = await collect(replaying.stream(request("stream-1", { resumeAfterPosition: 5 }), context()));
    expect(rest.map((event) => event.position)).toEqual(Array.from({ length: 15 }, (_, index) => index + 6));
    expect(rest.at(-1)?.type).toBe("finish");
    const text = [...first, ...rest].flatMap((event) => (event.type === "text-delta" ? [event.text] : [])).join("");
    expect(text).toBe(Array.from({ length: 18 }, (_, index) => `${index} `).join(""));
    expect(calls.stream).toBe(1);
  });

  it("ends a resumed failed stream with the same error", async () => {
    const { replaying } = setup({ fail: () => true });
    await expect(collect(replaying.stream(request("stream-2"), context()))).rejects.toMatchObject({ reason: "PROVIDER_STREAM_INTERRUPTED" });
    const resumed = replaying.stream(request("stream-2", { resumeAfterPosition: 10 }), context());
    const seen: GatewayEvent[] = [];
    await expect(
      (async () => {
        for await (const event of resumed) seen.push(event);
      })(),
    ).rejects.toMatchObject({ reason: "PROVIDER_STREAM_INTERRUPTED" });
    expect(seen.map((event) => event.position)).toEqual([11, 12, 13, 14, 15, 16, 17, 18, 19]);
  });

  it("refuses a resume of an unknown request id", async () => {
    const { replaying } = setup();
    await expect(collect(replaying.stream(request("never", { resumeAfterPosition: 3 }), context()))).rejects.toMatchObject({ reason: "RESUME_NOT_FOUND" });
  });

  it("answers an identical cacheable request from the cache, billing nothing and counting the hit", async () => {
    const { replaying, calls } = setup({ config: { cache: { aliases: { chat: {} } } } });
    const miss = await collect(replaying.stream(request("c-1"), context()));
    const hit = await collect(replaying.stream(request("c-2"), context()));
    expect(calls.stream).toBe(1);
    expect(hit.map((event) => (event.type === "text-delta" ? event.text : event.type))).toEqual(miss.map((event) => (event.type === "text-delta" ? event.text : event.type)));
    const finish = hit.at(-1);
    expect(finish?.type === "finish" && [finish.route.source, finish.costMicroUsd, finish.route.savedCostMicroUsd]).toEqual(["cache", 0, 5]);
    const [stats] = await replaying.deploymentStats(["d1"]);
    expect([stats.cacheHits, stats.cacheMisses, stats.savedCostMicroUsd]).toEqual([1, 1, 5]);
  });

  it("never caches a request with a temperature above 0 unless the alias allows it", async () => {
    const { replaying, calls } = setup({ config: { cache: { aliases: { chat: {} } } } });
    await replaying.complete(request("t-1", { sampling: { stopSequences: [], temperature: 0.7 } }), context());
    await replaying.complete(request("t-2", { sampling: { stopSequences: [], temperature: 0.7 } }), context());
    expect(calls.complete).toBe(2);
    await replaying.complete(request("t-3", { cache: true }), context());
    const hit = await replaying.complete(request("t-4", { model: "chat", cache: true }), context());
    expect(hit.route.source).toBe("cache");
    expect(calls.complete).toBe(3);
  });

  it("never claims a request whose id the server generated: it goes straight to the engine", async () => {
    const { replaying, calls } = setup();
    const generated = (overrides: Partial<GatewayRequest> = {}) => request("generated-1", { requestIdFromCaller: false, ...overrides });
    const first = await replaying.complete(generated(), context());
    const second = await replaying.complete(generated({ model: "other" }), context());
    expect([first.route.source, second.route.source]).toEqual([undefined, undefined]);
    expect(calls.complete).toBe(2);
    const events = await collect(replaying.stream(generated(), context()));
    expect(events.map((event) => event.position)).toEqual(Array.from({ length: 20 }, (_, index) => index + 1));
    await expect(collect(replaying.stream(generated({ resumeAfterPosition: 5 }), context()))).rejects.toMatchObject({ reason: "RESUME_NOT_FOUND" });
    expect(calls.stream).toBe(1);
  });

  it("still answers a request whose id the server generated from the exact cache", async () => {
    const { replaying, calls } = setup({ config: { cache: { aliases: { chat: {} } } } });
    await replaying.complete(request("g-1", { requestIdFromCaller: false }), context());
    const hit = await replaying.complete(request("g-2", { requestIdFromCaller: false }), context());
    expect(hit.route.source).toBe("cache");
    expect(calls.complete).toBe(1);
  });
});

describe("cancellation in the replay layer", () => {
  /** Reads `events` and aborts `caller` with `reason` after `cancelAfter` of them; resolves to the error the read ended with. */
  async function readThenCancel(events: AsyncIterable<GatewayEvent>, caller: AbortController, reason: unknown, cancelAfter: number): Promise<unknown> {
    let seen = 0;
    try {
      for await (const _event of events) if (++seen === cancelAfter) caller.abort(reason);
    } catch (error) {
      return error;
    }
    return undefined;
  }

  it("cancels the run, and the engine's call with the caller's reason, as soon as its only reader cancels", async () => {
    const { replaying, calls } = setup({ intervalMs: 20 });
    const caller = new AbortController();
    const reason = new GatewayError("CANCELED", "the client went away");
    const ended = await readThenCancel(replaying.stream(request("cancel-1"), context(undefined, caller.signal)), caller, reason, 3);
    expect(ended).toBe(reason);
    expect(calls.aborts).toEqual([reason]);
  });

  it("cancels a unary run whose only caller left", async () => {
    const { replaying, calls } = setup();
    const caller = new AbortController();
    const reason = new GatewayError("CANCELED", "the client went away");
    const answer = replaying.complete(request("cancel-2"), context(undefined, caller.signal));
    setTimeout(() => caller.abort(reason), 5);
    await expect(answer).rejects.toBe(reason);
    expect(calls.aborts).toEqual([reason]);
  });

  it("keeps a run whose reader left for keepDetachedRunsMs, then cancels it when nobody came back", async () => {
    const { replaying, calls } = setup({ intervalMs: 20, config: { keepDetachedRunsMs: 60 } });
    const caller = new AbortController();
    const left = performance.now();
    await readThenCancel(replaying.stream(request("cancel-3"), context(undefined, caller.signal)), caller, new GatewayError("CANCELED", "gone"), 2);
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(calls.aborts).toEqual([]);
    await new Promise((resolve) => setTimeout(resolve, 80));
    expect(calls.aborts).toHaveLength(1);
    expect(performance.now() - left).toBeGreaterThanOrEqual(60);
    await expect(collect(replaying.stream(request("cancel-3", { resumeAfterPosition: 2 }), context()))).rejects.toMatchObject({ reason: "CANCELED" });
  });

  it("lets a run go on while a duplicate reads it, and stops it when the last reader leaves", async () => {
    const { replaying, calls } = setup({ intervalMs: 10 });
    const first = new AbortController();
    const second = new AbortController();
    const duplicate = collect(replaying.stream(request("cancel-4"), context(undefined, second.signal)), 8);
    await readThenCancel(replaying.stream(request("cancel-4"), context(undefined, first.signal)), first, new GatewayError("CANCELED", "first gone"), 3);
    expect(calls.aborts).toEqual([]);
    expect(await duplicate).toHaveLength(8);
    expect(calls.aborts).toHaveLength(1);
    expect(calls.stream).toBe(1);
  });

  it("runs a duplicate that stays to the end to the finish, though the first caller left", async () => {
    const { replaying, calls } = setup({ intervalMs: 5 });
    const first = new AbortController();
    const firstRead = readThenCancel(replaying.stream(request("cancel-5"), context(undefined, first.signal)), first, new GatewayError("CANCELED", "first gone"), 3);
    const duplicate = collect(replaying.stream(request("cancel-5"), context()));
    await firstRead;
    const events = await duplicate;
    const finish = events.at(-1);
    expect(finish?.type === "finish" && finish.route.source).toBe("idempotent-replay");
    expect(calls.aborts).toEqual([]);
  });
});
