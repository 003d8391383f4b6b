import { describe, expect, it } from "vitest";
import { createFakeClock } from "../resilience/clock.js";
import { StreamWatchdog, type WatchdogLimit } from "./stream-watchdog.js";

function watchdogOnFakeClock() {
  const clock = createFakeClock({ start: 1_000 });
  const fired: { limit: WatchdogLimit; at: number }[] = [];
  const timersSet = { count: 0 };
  const setTimer = clock.setTimer?.bind(clock);
  const counting = { ...clock, setTimer: (ms: number, callback: () => void) => (timersSet.count++, setTimer!(ms, callback)) };
  const watchdog = new StreamWatchdog(counting, (limit) => fired.push({ limit, at: clock.now() }));
  return { clock, fired, watchdog, timersSet };
}

describe("StreamWatchdog", () => {
  it("expires once, when it stays armed for its limit", async () => {
    const { clock, fired, watchdog } = watchdogOnFakeClock();
    watchdog.arm(100, "first-token");
    await clock.advance(99);
    expect(fired).toEqual([]);
    await clock.advance(1);
    expect(fired).toEqual([{ limit: "first-token", at: 1_100 }]);
    await clock.advance(1_000);
    expect(fired).toHaveLength(1);
    expect(clock.pendingTimers()).toBe(0);
  });

  it("moves its deadline when re-armed, with one timer for any number of armings", async () => {
    const { clock, fired, watchdog, timersSet } = watchdogOnFakeClock();
    for (let part = 0; part < 50; part++) {
      watchdog.arm(100, "idle");
      await clock.advance(10);
      watchdog.disarm();
      expect(clock.pendingTimers()).toBeLessThanOrEqual(1);
    }
    expect(fired).toEqual([]);
    // A timer is set again only when one fires and finds the deadline moved on (about every 90 ms of
    // these 500), never per arming (which would be 50).
    expect(timersSet.count).toBeLessThanOrEqual(8);
    watchdog.arm(100, "idle");
    const armedAt = clock.now();
    await clock.advance(250);
    expect(fired).toEqual([{ limit: "idle", at: armedAt + 100 }]);
  });

  it("never expires while disarmed, however long that lasts, and counts afresh from the next arming", async () => {
    const { clock, fired, watchdog } = watchdogOnFakeClock();
    watchdog.arm(100, "first-token");
    await clock.advance(50);
    watchdog.disarm();
    await clock.advance(10_000);
    expect(fired).toEqual([]);
    watchdog.arm(100, "idle");
    await clock.advance(99);
    expect(fired).toEqual([]);
    await clock.advance(1);
    expect(fired).toEqual([{ limit: "idle", at: 11_150 }]);
  });

  it("expires on a shorter limit armed while a longer one's timer runs", async () => {
    const { clock, fired, watchdog } = watchdogOnFakeClock();
    watchdog.arm(60_000, "first-token");
    await clock.advance(10);
    watchdog.disarm();
    watchdog.arm(200, "idle");
    await clock.advance(200);
    expect(fired).toEqual([{ limit: "idle", at: 1_210 }]);
  });

  it("stops its timer when the attempt is over", async () => {
    const { clock, fired, watchdog } = watchdogOnFakeClock();
    watchdog.arm(100, "idle");
    watchdog.stop();
    expect(clock.pendingTimers()).toBe(0);
    await clock.advance(1_000);
    expect(fired).toEqual([]);
  });
});
