import { describe, expect, it } from "vitest";
import { createMemoryStore } from "../state/memory-store.js";
import { createDeploymentStats, type AttemptSample } from "./deployment-stats.js";

const sample = (deployment: string, overrides: Partial<AttemptSample> = {}): AttemptSample => ({
  deployment,
  outcome: "succeeded",
  latencyMs: 40,
  timeToFirstTokenMs: 10,
  usage: { inputTokens: 10, outputTokens: 5 },
  billed: true,
  ...overrides,
});

describe("createDeploymentStats", () => {
  it("forgets every key kept for a deployment and nothing of another", async () => {
    const store = createMemoryStore();
    const stats = createDeploymentStats({ store, now: () => 0, windowMs: 1_000 });
    const record = async (deployment: string) => {
      await stats.recordAttempt(sample(deployment, { costNanoUsd: 7 }));
      await stats.recordAttempt(sample(deployment, { outcome: "failed" }));
      await stats.recordShadow({ deployment, agreed: true });
      await stats.adjustInFlight(deployment, 1);
    };
    await record("kept");
    const keptKeys = store.keyCount();
    await record("gone");
    expect(store.keyCount()).toBeGreaterThan(keptKeys);

    await stats.forget("gone");

    expect(store.keyCount()).toBe(keptKeys);
    expect(await stats.view("gone")).toMatchObject({ attempts: 0, failures: 0, inFlight: 0, latency: { samples: 0 } });
    expect(await stats.view("kept")).toMatchObject({ attempts: 2, failures: 1, inFlight: 1, shadowComparisons: 1 });
  });

  it("keeps the total of unpriced attempts when a deployment is forgotten", async () => {
    const store = createMemoryStore();
    const stats = createDeploymentStats({ store, now: () => 0, windowMs: 1_000 });
    await stats.recordAttempt(sample("gone"));
    await stats.forget("gone");
    expect(await stats.unpricedAttempts()).toBe(1);
  });

  it("creates no state when read", async () => {
    const store = createMemoryStore();
    const stats = createDeploymentStats({ store, now: () => 0, windowMs: 1_000 });
    await stats.view("anything");
    await stats.health("anything");
    expect(store.keyCount()).toBe(0);
  });
});
