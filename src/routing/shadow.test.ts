import { describe, expect, it } from "vitest";
import { createTestEngine, testConfig, testContext, testRequest } from "./testing/engine-fixture.js";
import { scriptError, scriptText } from "./testing/fake-adapter.js";

const config = testConfig({
  providers: { p: { kind: "openai-compatible", baseUrl: "http://127.0.0.1:1" } },
  deployments: {
    main: { provider: "p", model: "model-main" },
    candidate: { provider: "p", model: "model-candidate" },
  },
  aliases: {
    chat: { tiers: [["main"]], shadow: { deployment: "candidate", share: 1 } },
    never: { tiers: [["main"]], shadow: { deployment: "candidate", share: 0 } },
  },
});

async function waitForComparison(engine: Awaited<ReturnType<typeof createTestEngine>>) {
  for (let index = 0; index < 100; index += 1) {
    const [stats] = await engine.engine.deploymentStats(["candidate"]);
    if (stats.shadowComparisons > 0) return stats;
    await engine.clock.sleep(1_000);
  }
  throw new Error("no shadow comparison recorded");
}

describe("shadow traffic", () => {
  it("leaves the primary answer unchanged and undelayed, then records the comparison", async () => {
    const test = await createTestEngine({
      config,
      scripts: { p: { "model-main": [scriptText("Paris.", { firstTokenMs: 100 })], "model-candidate": [scriptText("paris", { firstTokenMs: 5_000 })] } },
    });
    const started = test.clock.now();
    const result = await test.engine.complete(testRequest("chat"), testContext(test.clock));
    expect(result.text).toBe("Paris.");
    expect(result.route.attempts).toHaveLength(1);
    expect(test.clock.now() - started).toBe(100);
    expect(test.adapters.get("p")?.callsFor("model-candidate")[0].startedAt).toBe(started);
    const stats = await waitForComparison(test);
    expect(stats).toMatchObject({ shadowComparisons: 1, shadowAgreement: 1 });
    const line = test.lines.find((l) => l.msg === "shadow comparison");
    expect(line).toMatchObject({ primaryLatencyMs: 100, shadowLatencyMs: 5_000, exactMatch: false, normalizedMatch: true, shadow: "candidate" });
  });

  it("keeps the primary's result when the shadow fails", async () => {
    const test = await createTestEngine({
      config,
      scripts: { p: { "model-main": [scriptText("ok")], "model-candidate": [scriptError("unavailable")] } },
    });
    const result = await test.engine.complete(testRequest("chat"), testContext(test.clock));
    expect(result.text).toBe("ok");
    await test.clock.sleep(10);
    expect((await test.engine.deploymentStats(["candidate"]))[0].shadowComparisons).toBe(0);
    expect((await test.engine.deploymentStats(["main"]))[0].breakerState).toBe("closed");
  });

  it("shadows only the configured share of requests", async () => {
    const test = await createTestEngine({
      config,
      scripts: { p: { "model-main": [scriptText("ok")], "model-candidate": [scriptText("ok")] } },
    });
    await test.engine.complete(testRequest("never"), testContext(test.clock));
    expect(test.adapters.get("p")?.callsFor("model-candidate")).toHaveLength(0);
  });
});
