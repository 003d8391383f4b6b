import { afterEach, describe, expect, it, vi } from "vitest";
import { createLogger } from "../observability/logger.js";
import { IdleMemoryReleaseDecider, startIdleMemoryRelease, type RuntimeHandles } from "./idle-memory-release.js";

const mib = 1024 * 1024;

describe("IdleMemoryReleaseDecider", () => {
  it("collects once the event loop has been idle for idleMs, not before", () => {
    const decider = new IdleMemoryReleaseDecider(5_000, 0.02, 0);
    expect(decider.shouldCollect(1_000, 0.5, 32 * mib)).toBe(false);
    expect(decider.shouldCollect(2_000, 0.001, 32 * mib)).toBe(false);
    expect(decider.shouldCollect(5_999, 0.001, 32 * mib)).toBe(false);
    expect(decider.shouldCollect(6_000, 0.001, 32 * mib)).toBe(true);
  });

  it("waits idleMs after an attempt before the next, and gives up after three per idle period", () => {
    const decider = new IdleMemoryReleaseDecider(5_000, 0.02, 0);
    const attempts = [];
    for (let now = 1_000; now <= 40_000; now += 1_000) if (decider.shouldCollect(now, 0, 32 * mib)) attempts.push(now);
    expect(attempts).toEqual([5_000, 10_000, 15_000]);
  });

  it("starts a new idle period, with new attempts, when traffic returns", () => {
    const decider = new IdleMemoryReleaseDecider(5_000, 0.02, 0);
    for (let now = 1_000; now <= 20_000; now += 1_000) decider.shouldCollect(now, 0, 32 * mib);
    expect(decider.shouldCollect(21_000, 0.3, 32 * mib)).toBe(false);
    expect(decider.shouldCollect(25_000, 0, 32 * mib)).toBe(false);
    expect(decider.shouldCollect(26_000, 0, 32 * mib)).toBe(true);
  });

  it("leaves a young generation that is already small alone", () => {
    const decider = new IdleMemoryReleaseDecider(5_000, 0.02, 0);
    expect(decider.shouldCollect(10_000, 0, 4 * mib)).toBe(false);
    expect(decider.shouldCollect(11_000, 0, 16 * mib)).toBe(true);
  });
});

describe("startIdleMemoryRelease", () => {
  afterEach(() => vi.useRealTimers());

  function fakeRuntime(utilization: () => number): RuntimeHandles & { collections: number } {
    let young = 32 * mib;
    const runtime = {
      collections: 0,
      now: () => Date.now(),
      utilizationSinceLastCall: utilization,
      youngGenerationBytes: () => young,
      collectYoungGeneration: () => {
        runtime.collections++;
        young = 1 * mib;
      },
    };
    return runtime;
  }

  it("collects the young generation after idleMs of an idle event loop and logs what it released", async () => {
    vi.useFakeTimers();
    const lines: string[] = [];
    const logger = createLogger({ level: "debug", destination: { write: (line: string) => lines.push(line) } as unknown as NodeJS.WritableStream });
    const runtime = fakeRuntime(() => 0.001);
    const release = startIdleMemoryRelease({ idleMs: 5_000, logger, handles: runtime });
    await vi.advanceTimersByTimeAsync(4_000);
    expect(runtime.collections).toBe(0);
    await vi.advanceTimersByTimeAsync(2_000);
    expect(runtime.collections).toBe(1);
    await vi.advanceTimersByTimeAsync(30_000);
    expect(runtime.collections).toBe(1);
    release.stop();
    const logged = lines.map((line) => JSON.parse(line) as { msg: string; youngGenerationMiB?: number; afterMiB?: number });
    expect(logged.find((line) => line.msg === "released idle memory")).toMatchObject({ youngGenerationMiB: 32, afterMiB: 1 });
  });

  it("never collects while the event loop is busy", async () => {
    vi.useFakeTimers();
    const runtime = fakeRuntime(() => 0.2);
    const release = startIdleMemoryRelease({ idleMs: 5_000, logger: createLogger({ level: "silent" }), handles: runtime });
    await vi.advanceTimersByTimeAsync(60_000);
    expect(runtime.collections).toBe(0);
    release.stop();
  });

  it("is off with idleMs 0, and says so once when node does not expose gc", () => {
    const lines: string[] = [];
    const logger = createLogger({ level: "info", destination: { write: (line: string) => lines.push(line) } as unknown as NodeJS.WritableStream });
    const runtime = fakeRuntime(() => 0);
    startIdleMemoryRelease({ idleMs: 0, logger, handles: runtime }).stop();
    expect(lines).toEqual([]);
    const exposed = (globalThis as { gc?: unknown }).gc;
    delete (globalThis as { gc?: unknown }).gc;
    try {
      startIdleMemoryRelease({ idleMs: 5_000, logger }).stop();
    } finally {
      if (exposed !== undefined) (globalThis as { gc?: unknown }).gc = exposed;
    }
    expect(lines.map((line) => (JSON.parse(line) as { msg: string }).msg)).toEqual([
      "idle memory release is off: node runs without --expose-gc (the modelgate command passes it)",
    ]);
  });
});
