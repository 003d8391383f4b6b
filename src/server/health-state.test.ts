import { describe, expect, it } from "vitest";
import { createHealthState } from "./health-state.js";

describe("createHealthState", () => {
  it("starts every known service NOT_SERVING and knows no others", () => {
    const state = createHealthState();
    expect(state.get("")).toBe("NOT_SERVING");
    expect(state.get("modelgate.v1.GatewayService")).toBe("NOT_SERVING");
    expect(state.get("other")).toBeUndefined();
  });

  it("notifies subscribers of changes only", () => {
    const state = createHealthState();
    const seen: (string | undefined)[] = [];
    const unsubscribe = state.subscribe("", (status) => seen.push(status));
    state.setAll("SERVING");
    state.set("", "SERVING");
    state.set("", "NOT_SERVING");
    unsubscribe();
    state.set("", "SERVING");
    expect(seen).toEqual(["SERVING", "NOT_SERVING"]);
  });
});
