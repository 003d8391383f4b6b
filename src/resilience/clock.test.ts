import { describe, expect, it } from "vitest";
import { createFakeClock } from "./clock.js";

describe("createFakeClock", () => {
  it("fires timers in due order while advancing", async () => {
    const clock = createFakeClock({ start: 0 });
    const fired: string[] = [];
    void clock.sleep(30).then(() => fired.push(`b@${clock.now()}`));
    void clock.sleep(10).then(() => fired.push(`a@${clock.now()}`));
    expect(clock.pendingTimers()).toBe(2);
    await clock.advance(20);
    expect(fired).toEqual(["a@10"]);
    await clock.advance(20);
    expect(fired).toEqual(["a@10", "b@30"]);
    expect(clock.now()).toBe(40);
  });

  it("rejects a sleep at once when its signal aborts", async () => {
    const clock = createFakeClock();
    const controller = new AbortController();
    const sleeping = clock.sleep(1_000, controller.signal);
    controller.abort(new Error("stop"));
    await expect(sleeping).rejects.toThrow("stop");
    expect(clock.pendingTimers()).toBe(0);
  });

  it("jumps to the next timer by itself when auto-advancing", async () => {
    const clock = createFakeClock({ start: 100, autoAdvance: true });
    await clock.sleep(5_000);
    expect(clock.now()).toBe(5_100);
  });
});
