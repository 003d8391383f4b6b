import { pino } from "pino";
import { describe, expect, it } from "vitest";
import { createGatewayEngine } from "./create-gateway-engine.js";
import { collect, testConfig, testContext, testRequest } from "./testing/engine-fixture.js";

describe("createGatewayEngine with real adapters", () => {
  it("builds adapters from the config and serves an echo deployment end to end", async () => {
    const config = testConfig({
      providers: { local: { kind: "echo" } },
      deployments: { echo: { provider: "local", model: "echo", price: { inputNanoUsd: 0, outputNanoUsd: 0, asOf: "2025-10-01" } } },
      aliases: { chat: { tiers: [["echo"]] } },
    });
    const engine = await createGatewayEngine(config, { logger: pino({ level: "silent" }) });
    try {
      const clock = { now: () => Date.now() };
      const result = await engine.complete(testRequest("chat"), testContext(clock, 5_000));
      expect(result.text.length).toBeGreaterThan(0);
      expect(result.route.deployment).toBe("echo");
      const { events, error } = await collect(engine.stream(testRequest("chat"), testContext(clock, 5_000)));
      expect(error).toBeUndefined();
      expect(events.at(-1)?.type).toBe("finish");
      const [stats] = await engine.deploymentStats([]);
      expect(stats).toMatchObject({ deployment: "echo", attempts: 2, breakerState: "closed" });
    } finally {
      await engine.close();
    }
  });
});
