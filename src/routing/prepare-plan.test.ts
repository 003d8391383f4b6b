import { beforeAll, describe, expect, it } from "vitest";
import type { GatewayRequest } from "../gateway/types.js";
import { createFakeClock } from "../resilience/clock.js";
import { createSeededRandom } from "../resilience/random.js";
import { createMemoryStore } from "../state/memory-store.js";
import type { StateStore } from "../state/state-store.js";
import { createGatewayEngine } from "./create-gateway-engine.js";
import { preloadTokenizer } from "./estimate-input-tokens.js";
import { capturingLogger, createTestEngine, testConfig, testContext, testRequest } from "./testing/engine-fixture.js";
import { measureLongestStall } from "./testing/event-loop-stall.js";
import { createFakeAdapter, scriptText } from "./testing/fake-adapter.js";
import { randomWord } from "./testing/sample-text.js";

/** A memory store that counts the latency and in-flight reads planning makes. */
function countingStore(): { store: StateStore; reads: () => number } {
  const inner = createMemoryStore();
  let reads = 0;
  const store: StateStore = {
    ...inner,
    readLatency(series) {
      reads += 1;
      return inner.readLatency(series);
    },
    readInFlight(key) {
      reads += 1;
      return inner.readInFlight(key);
    },
  };
  return { store, reads: () => reads };
}

async function readsForOneCall(strategy: string): Promise<number> {
  const config = testConfig({
    providers: { p: { kind: "openai-compatible", baseUrl: "http://127.0.0.1:1" } },
    deployments: { a: { provider: "p", model: "model-a" }, b: { provider: "p", model: "model-b" } },
    aliases: { chat: { tiers: [["a", "b"]], strategy } },
  });
  const clock = createFakeClock({ start: 1_000_000, autoAdvance: true });
  const { store, reads } = countingStore();
  const adapter = createFakeAdapter({ clock, scripts: { "model-a": [scriptText("hi")], "model-b": [scriptText("hi")] } });
  const engine = await createGatewayEngine(config, {
    logger: capturingLogger().logger,
    clock,
    random: createSeededRandom(1),
    adapters: new Map([["p", adapter]]),
    store,
  });
  await engine.complete(testRequest("chat"), testContext(clock));
  await engine.close();
  return reads();
}

describe("preparePlan", () => {
  it("reads no latency or in-flight stats for strategies that order without them", async () => {
    expect(await readsForOneCall("priority")).toBe(0);
    expect(await readsForOneCall("weighted")).toBe(0);
    expect(await readsForOneCall("cost")).toBe(0);
  });

  it("reads the stats of every candidate for the strategies that order by them", async () => {
    // Two candidates × (latency + TTFT summaries + in-flight).
    expect(await readsForOneCall("latency")).toBe(6);
    expect(await readsForOneCall("least-busy")).toBe(6);
  });
});

/** An engine whose alias "chat" routes to deployments with these context windows, each answering "hi". */
async function engineWithWindows(...windows: number[]) {
  const deployments = Object.fromEntries(windows.map((contextWindow, index) => [`d${index}`, { provider: "p", model: "m", contextWindow }]));
  const config = testConfig({
    providers: { p: { kind: "openai-compatible", baseUrl: "http://127.0.0.1:1" } },
    deployments,
    aliases: { chat: { tiers: [Object.keys(deployments)] } },
  });
  return createTestEngine({ config, scripts: { p: { m: [scriptText("hi")] } } });
}

function oneWordRequest(length: number, seed: number): GatewayRequest {
  return testRequest("chat", { messages: [{ role: "user", parts: [{ type: "text", text: randomWord(length, seed) }] }] });
}

describe("preparePlan with a prompt that is one huge word", () => {
  beforeAll(async () => {
    await preloadTokenizer();
  });

  it("answers it without holding the event loop for 50 ms at a time", async () => {
    // 300 KB could exceed 200,000 tokens, so the tokenizer runs; the word's ~156,000 tokens fit.
    const { engine, clock } = await engineWithWindows(200_000);
    const requests = [0, 1, 2].map((run) => oneWordRequest(300_000, 20 + run));
    const { result, longestStallMs } = await measureLongestStall((run) => engine.complete(requests[run], testContext(clock)));
    expect(result.text).toBe("hi");
    expect(longestStallMs).toBeLessThan(50);
    await engine.close();
  });

  it("refuses it with CONTEXT_WINDOW_EXCEEDED when it fits no window, without holding the event loop", async () => {
    const { engine, clock, adapters } = await engineWithWindows(8_000, 16_000);
    const { result, longestStallMs } = await measureLongestStall((run) =>
      engine.complete(oneWordRequest(300_000, 30 + run), testContext(clock)).catch((error: unknown) => error),
    );
    expect(result).toMatchObject({ reason: "CONTEXT_WINDOW_EXCEEDED" });
    expect(adapters.get("p")?.calls).toHaveLength(0);
    expect(longestStallMs).toBeLessThan(50);
    await engine.close();
  });

  it("stops counting and answers CANCELED when the caller cancels", async () => {
    const { engine, clock, adapters } = await engineWithWindows(200_000);
    const context = testContext(clock);
    const answer = engine.complete(oneWordRequest(300_000, 40), context);
    setTimeout(() => context.cancel(), 5);
    const started = performance.now();
    await expect(answer).rejects.toMatchObject({ reason: "CANCELED" });
    expect(performance.now() - started).toBeLessThan(100);
    expect(adapters.get("p")?.calls).toHaveLength(0);
    await engine.close();
  });
});
