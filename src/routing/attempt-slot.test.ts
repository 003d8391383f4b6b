import { describe, expect, it } from "vitest";
import type { GatewayError } from "../gateway/types.js";
import type { ProviderAdapter } from "../providers/spec.js";
import { createSeededRandom } from "../resilience/random.js";
import { systemClock } from "../resilience/clock.js";
import { createGatewayEngine } from "./create-gateway-engine.js";
import { capturingLogger, collect, testConfig, testContext, testRequest } from "./testing/engine-fixture.js";

/** An adapter that never answers and never looks at its signal. */
const deafAdapter: ProviderAdapter = {
  kind: "openai-compatible",
  complete: () => new Promise(() => undefined),
  stream: () => ({ [Symbol.asyncIterator]: () => ({ next: () => new Promise(() => undefined) }) }),
  close: async () => undefined,
};

async function engineOverDeafAdapter() {
  const config = testConfig({
    providers: { p: { kind: "openai-compatible", baseUrl: "http://127.0.0.1:1" } },
    deployments: { a: { provider: "p", model: "model-a", timeouts: { totalMs: 60, firstTokenMs: 60 } } },
    aliases: { chat: { tiers: [["a"]] } },
    routing: { retry: { maxAttempts: 1 } },
  });
  return createGatewayEngine(config, { logger: capturingLogger().logger, clock: systemClock, random: createSeededRandom(1), adapters: new Map([["p", deafAdapter]]) });
}

describe("an attempt whose adapter ignores its signal", () => {
  it("still ends a unary call at the attempt's time limit", async () => {
    const engine = await engineOverDeafAdapter();
    const started = Date.now();
    const error = (await engine.complete(testRequest("chat"), testContext(systemClock)).catch((caught: unknown) => caught)) as GatewayError;
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(error.failure?.route.attempts[0]?.reason).toBe("PROVIDER_TIMEOUT");
    await engine.close();
  });

  it("still ends a stream at the attempt's first-token limit", async () => {
    const engine = await engineOverDeafAdapter();
    const started = Date.now();
    const { error } = await collect(engine.stream(testRequest("chat"), testContext(systemClock)));
    expect(Date.now() - started).toBeLessThan(1_000);
    expect((error as GatewayError).failure?.route.attempts[0]?.reason).toBe("PROVIDER_TIMEOUT");
    await engine.close();
  });

  it("still ends when the caller cancels", async () => {
    const engine = await engineOverDeafAdapter();
    const context = testContext(systemClock);
    const pending = engine.complete(testRequest("chat"), context).catch((caught: unknown) => caught);
    setTimeout(() => context.cancel(), 10);
    const error = (await pending) as GatewayError;
    expect(error.reason).toBe("CANCELED");
    await engine.close();
  });
});
