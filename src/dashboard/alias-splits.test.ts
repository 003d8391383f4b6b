import { describe, expect, it } from "vitest";
import { configSchema } from "../config/schema.js";
import { aliasSplits } from "./alias-splits.js";

describe("alias splits", () => {
  it("takes the alias's weights over the deployments' and gives each its share of the tier", () => {
    const config = configSchema.parse({
      providers: { sim: { kind: "echo" } },
      deployments: { a: { provider: "sim", model: "m", weight: 3 }, b: { provider: "sim", model: "m" }, c: { provider: "sim", model: "m" } },
      aliases: {
        chat: { strategy: "weighted", tiers: [["a", "b"], ["c"]], weights: { b: 1 }, shadow: { deployment: "c", share: 0.1 } },
        all: { tiers: [["a", "b"]] },
      },
    });
    const splits = aliasSplits(config);
    expect(splits.map((split) => split.alias)).toEqual(["all", "chat"]);
    expect(splits[1].tiers[0]).toEqual([
      { deployment: "a", weight: 3, share: 0.75 },
      { deployment: "b", weight: 1, share: 0.25 },
    ]);
    expect(splits[1].tiers[1]).toEqual([{ deployment: "c", weight: 1, share: 1 }]);
    expect(splits[1].shadow).toEqual({ deployment: "c", share: 0.1 });
    expect(splits[0].shadow).toBeUndefined();
  });
});
