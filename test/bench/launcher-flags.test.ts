/**
 * The bench starts the gateway with the node flags of the `modelgate` command, read from its shebang:
 * the same list bin-launcher.test.ts checks the running command has.
 */
import { describe, expect, it } from "vitest";
import { launcherEnvironment, launcherNodeFlags } from "../../bench/lib/launcher-flags.js";

describe("launcherNodeFlags", () => {
  it("reads the flags from bin/modelgate.mjs's shebang", () => {
    expect(launcherNodeFlags()).toEqual(["--max-semi-space-size=16", "--no-allocation-site-pretenuring", "--expose-gc"]);
  });

  it("reads the environment the shebang sets", () => {
    expect(launcherEnvironment()).toEqual({ MALLOC_ARENA_MAX: "2" });
  });
});
