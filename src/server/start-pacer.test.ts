import { setImmediate as nextTurn } from "node:timers/promises";
import { expect, it } from "vitest";
import type { NodeRequest, NodeResponse } from "./node-handler.js";
import { createStartPacer } from "./start-pacer.js";

function request(name: string, destroyed = false, bodyBytes: number | null = 100): [NodeRequest, NodeResponse] {
  const headers = bodyBytes === null ? {} : { "content-length": String(bodyBytes) };
  return [{ url: name, destroyed, headers } as unknown as NodeRequest, { destroyed: false } as unknown as NodeResponse];
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

it("holds requests, unstarted, while the door says enough wait inside, and starts them in order once it opens", async () => {
  const started: string[] = [];
  let hold = true;
  let room = 10;
  let held: () => number = () => 0;
  const door = { shouldHold: () => hold, hasRoom: () => held() < room, countHeld: (read: () => number) => (held = read) };
  const pace = createStartPacer((incoming) => started.push(incoming.url ?? ""), 2, door);
  for (let index = 0; index < 5; index++) pace(...request(`r${index}`));
  pace(...request("gone", true));
  await nextTurn();
  expect(started).toEqual([]);
  expect(held()).toBe(6);
  expect(pace.waiting()).toBe(6);
  // Past the room the gate leaves, a request starts in its turn: the gate refuses it in its protocol's terms.
  room = 6;
  pace(...request("over"));
  await nextTurn();
  expect(started).toEqual(["over"]);
  room = 10;
  hold = false;
  // The pacer asks the door again within a few milliseconds, then starts `perTurn` a turn.
  const askedAgain = Date.now();
  while (started.length === 1 && Date.now() - askedAgain < 1_000) await nextTurn();
  expect(started).toEqual(["over", "r0", "r1"]);
  await nextTurn();
  await nextTurn();
  expect(started).toEqual(["over", "r0", "r1", "r2", "r3", "r4"]);
  expect(held()).toBe(0);
});

it("never holds a request whose body is larger than 16 KiB or unannounced: it starts in its turn, ahead of the held ones", async () => {
  const started: string[] = [];
  const door = { shouldHold: () => true, hasRoom: () => true, countHeld: () => undefined };
  const pace = createStartPacer((incoming) => started.push(incoming.url ?? ""), 2, door);
  pace(...request("small"));
  pace(...request("large", false, 16 * 1024 + 1));
  pace(...request("chunked", false, null));
  pace(...request("limit", false, 16 * 1024));
  expect(started).toEqual(["large", "chunked"]);
  await nextTurn();
  await nextTurn();
  expect(started).toEqual(["large", "chunked"]);
  expect(pace.waiting()).toBe(2);
});
