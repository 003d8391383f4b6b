import { setImmediate as nextTurn } from "node:timers/promises";
import { expect, it } from "vitest";
import type { NodeRequest, NodeResponse } from "./node-handler.js";
import { createStartPacer } from "./start-pacer.js";

function request(name: string, destroyed = false): [NodeRequest, NodeResponse] {
  return [{ url: name, destroyed } as unknown as NodeRequest, { destroyed: false } as unknown as NodeResponse];
}

it("starts at most `perTurn` requests in one turn of the event loop, the rest in order in the turns after", async () => {
  const started: string[] = [];
  const pace = createStartPacer((incoming) => started.push(incoming.url ?? ""), 3);
  for (let index = 0; index < 8; index++) pace(...request(`r${index}`));
  expect(started).toEqual(["r0", "r1", "r2"]);
  await nextTurn();
  expect(started).toEqual(["r0", "r1", "r2", "r3", "r4", "r5"]);
  // A new arrival waits behind the ones already waiting.
  pace(...request("late"));
  await nextTurn();
  expect(started).toEqual(["r0", "r1", "r2", "r3", "r4", "r5", "r6", "r7", "late"]);
  // Once the turn's budget is back, a request starts at once again.
  await nextTurn();
  await nextTurn();
  pace(...request("alone"));
  expect(started.at(-1)).toBe("alone");
});

it("drops a waiting request whose client went away, without spending a start on it", async () => {
  const started: string[] = [];
  const pace = createStartPacer((incoming) => started.push(incoming.url ?? ""), 1);
  pace(...request("first"));
  pace(...request("gone", true));
  pace(...request("second"));
  await nextTurn();
  expect(started).toEqual(["first", "second"]);
});
