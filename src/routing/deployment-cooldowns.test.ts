import { describe, expect, it } from "vitest";
import { createDeploymentCooldowns } from "./deployment-cooldowns.js";

const limited = (until: number) => ({ until, reason: "PROVIDER_RATE_LIMITED" as const });

describe("createDeploymentCooldowns", () => {
  it("reports a cooldown until it ends, and forgets it then", () => {
    const cooldowns = createDeploymentCooldowns();
    cooldowns.coolDown("a", limited(3_000), 0);
    expect(cooldowns.activeAt("a", 2_999)).toEqual(limited(3_000));
    expect(cooldowns.activeAt("a", 3_000)).toBeUndefined();
    expect(cooldowns.size).toBe(0);
  });

  it("keeps the later end when two failures overlap", () => {
    const cooldowns = createDeploymentCooldowns();
    cooldowns.coolDown("a", limited(5_000), 0);
    cooldowns.coolDown("a", { until: 2_000, reason: "PROVIDER_UNAVAILABLE" }, 1_000);
    expect(cooldowns.activeAt("a", 4_000)?.until).toBe(5_000);
    cooldowns.coolDown("a", { until: 9_000, reason: "PROVIDER_UNAVAILABLE" }, 4_000);
    expect(cooldowns.activeAt("a", 8_000)).toEqual({ until: 9_000, reason: "PROVIDER_UNAVAILABLE" });
  });

  it("holds at most its bound, dropping ended cooldowns first and then the one ending soonest", () => {
    const cooldowns = createDeploymentCooldowns(3);
    cooldowns.coolDown("ended", limited(100), 0);
    cooldowns.coolDown("long", limited(10_000), 0);
    cooldowns.coolDown("short", limited(2_000), 0);
    cooldowns.coolDown("new", limited(5_000), 500);
    expect(cooldowns.size).toBe(3);
    expect(cooldowns.activeAt("long", 500)).toBeDefined();
    expect(cooldowns.activeAt("short", 500)).toBeDefined();
    cooldowns.coolDown("newer", limited(6_000), 500);
    expect(cooldowns.size).toBe(3);
    expect(cooldowns.activeAt("short", 500)).toBeUndefined();
    expect(["long", "new", "newer"].map((name) => cooldowns.activeAt(name, 500)?.until)).toEqual([10_000, 5_000, 6_000]);
  });

  it("stays bounded under 60,000 caller-chosen names", () => {
    const cooldowns = createDeploymentCooldowns(1_024);
    for (let index = 0; index < 60_000; index += 1) cooldowns.coolDown(`echo/${index}`, limited(10_000 + index), index);
    expect(cooldowns.size).toBe(1_024);
  });
});
