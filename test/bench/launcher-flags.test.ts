/**
 * The bench starts the gateway with the node flags of the `modelgate` command, read from its shebang:
 * the same list bin-launcher.test.ts checks the running command has.
 */
import { describe, expect, it } from "vitest";
import { launcherNodeFlags } from "../../bench/lib/launcher-flags.js";

describe("launcherNodeFlags", () => {
  it("reads the flags from bin/modelgate.mjs's shebang", () => {
    expect(launcherNodeFlags()).toEqual(["--max-semi-space-size=16", "--no-allocation-site-pretenuring", "--expose-gc"]);
  });
});
