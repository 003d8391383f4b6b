import { describe, expect, it } from "vitest";
import { createPartialFunctionCall } from "./gemini-partial-arguments.js";

describe("createPartialFunctionCall", () => {
  it("appends string pieces that arrive for the same path", () => {
    const call = createPartialFunctionCall("getWeather");
    call.apply([{ jsonPath: "$.location", stringValue: "San ", willContinue: true }]);
    call.apply([{ jsonPath: "$.location", stringValue: "Francisco" }]);
    expect(JSON.parse(call.argumentsJson())).toEqual({ location: "San Francisco" });
  });

  it("sets numbers, booleans and nulls at nested object and array paths", () => {
    const call = createPartialFunctionCall("book");
    call.apply([
      { jsonPath: "$.guests", numberValue: 2 },
      { jsonPath: "$.options.breakfast", boolValue: true },
      { jsonPath: "$.rooms[0].view", stringValue: "sea" },
      { jsonPath: "$['note']", nullValue: null },
    ]);
    expect(JSON.parse(call.argumentsJson())).toEqual({ guests: 2, options: { breakfast: true }, rooms: [{ view: "sea" }], note: null });
  });

  it("gives {} for a call with no arguments and ignores paths it cannot read", () => {
    const call = createPartialFunctionCall("ping");
    call.apply([{ jsonPath: "location", stringValue: "x" }]);
    expect(call.argumentsJson()).toBe("{}");
  });
});
