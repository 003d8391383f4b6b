import { create } from "@bufbuild/protobuf";
import { describe, expect, it } from "vitest";
import { AttemptOutcome, RouteRecordSchema, RoutingStrategy, UsageSchema } from "../../../gen/modelgate/v1/routing_pb.js";
import { attemptRows, formatMicroUsd, strategyName, usageRows } from "./format.js";

describe("playground formatting", () => {
  it("writes micro-USD as dollars with six decimals", () => {
    expect(formatMicroUsd(32n)).toBe("$0.000032");
    expect(formatMicroUsd(12_345_678n)).toBe("$12.345678");
  });

  it("says unpriced when the gateway sent no cost", () => {
    expect(formatMicroUsd(undefined)).toBe("unpriced");
  });

  it("shows absent token counts as unknown rather than zero", () => {
    const rows = usageRows(create(UsageSchema, { inputTokens: 12, outputTokens: 0 }));
    expect(rows).toContainEqual(["input", "12"]);
    expect(rows).toContainEqual(["output", "0"]);
    expect(rows).toContainEqual(["reasoning", "unknown"]);
  });

  it("lists attempts in order with outcome names", () => {
    const route = create(RouteRecordSchema, {
      attempts: [
        { deployment: "a", provider: "p", outcome: AttemptOutcome.FAILED, reason: "PROVIDER_UNAVAILABLE", latencyMs: 5 },
        { deployment: "b", provider: "q", outcome: AttemptOutcome.SUCCEEDED, retry: 1, latencyMs: 7 },
      ],
    });
    expect(attemptRows(route).map((row) => [row.deployment, row.outcome, row.reason, row.retry])).toEqual([
      ["a", "FAILED", "PROVIDER_UNAVAILABLE", "0"],
      ["b", "SUCCEEDED", "", "1"],
    ]);
  });

  it("spells strategies the way the config does", () => {
    expect(strategyName(RoutingStrategy.COST_UNDER_LATENCY_SLO)).toBe("cost-under-latency-slo");
  });
});
