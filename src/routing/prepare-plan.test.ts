import { describe, expect, it } from "vitest";
import { createFakeClock } from "../resilience/clock.js";
import { createSeededRandom } from "../resilience/random.js";
import { createMemoryStore } from "../state/memory-store.js";
import type { StateStore } from "../state/state-store.js";
import { createGatewayEngine } from "./create-gateway-engine.js";
import { capturingLogger, testConfig, testContext, testRequest } from "./testing/engine-fixture.js";
import { createFakeAdapter, scriptText } from "./testing/fake-adapter.js";

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
