/**
 * Calls waiting at the edge (src/server/start-pacer.ts with the overload gate's door), in the real
 * gateway process with the vendor simulator behind it. One slot, held by a long stream; then 100
 * requests on the OpenAI edge (small bodies with a content-length, so they may be held): 70 wait; of 30
 * more, the gate having 64 or more, 10 wait at the edge, unparsed, and `/metrics` shows them there.
 * Past `maxQueuedCalls` (80, both places together) the other 20 are refused with 429, without a vendor
 * call; every call that waited completes once the slot frees. A draining gateway answers the calls it
 * holds with 503.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { startSimulator, type Simulator } from "../../src/simulator/index.js";
import { startReplica, writeConfig, type Replica } from "../redis/replicas.js";
import { pollUntil, userText } from "./harness.js";

const MAX_QUEUED = 80;
const CALLS = 100;

let simulator: Simulator;
let gateway: Replica;
let directory: string;

beforeAll(async () => {
  simulator = await startSimulator();
  directory = mkdtempSync(join(tmpdir(), "modelgate-overload-edge-"));
  writeConfig(join(directory, "gateway.yaml"), {
    // One slot, and a loop delay no test run reaches, so the limit stays at 1.
    server: {
      host: "127.0.0.1",
      port: 0,
      logLevel: "info",
      playground: false,
      shutdownGraceMs: 0,
      overload: { minConcurrentCalls: 1, maxConcurrentCalls: 1, maxQueuedCalls: MAX_QUEUED, targetLoopDelayMs: 60_000 },
    },
    reload: { watchFile: false },
    providers: { sim: { kind: "openai", baseUrl: simulator.baseUrl("openai"), apiKey: "sk-test" } },
    deployments: { blocker: { provider: "sim", model: "blocker" }, quick: { provider: "sim", model: "quick" } },
    aliases: { "chat-block": { tiers: [["blocker"]] }, chat: { tiers: [["quick"]] } },
  });
  gateway = await startReplica("overload-edge", join(directory, "gateway.yaml"));
}, 60_000);

afterAll(async () => {
  await gateway?.stop();
  await simulator?.close();
  if (directory !== undefined) rmSync(directory, { recursive: true, force: true });
});

/** The gate's gauges, from one scrape of `/metrics`. */
async function gate(): Promise<{ queued: number; held: number; refused: number }> {
  const text = await (await fetch(`${gateway.url}/metrics`)).text();
  const read = (name: string): number => Number(text.split("\n").find((line) => line.startsWith(`${name} `))?.split(" ")[1] ?? Number.NaN);
  return { queued: read("modelgate_overload_queued_calls"), held: read("modelgate_overload_held_calls"), refused: read("modelgate_overload_refused_calls_total") };
}

async function chat(index: number): Promise<{ status: number; body: string }> {
  const response = await fetch(`${gateway.url}/v1/chat/completions`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ model: "chat", messages: [{ role: "user", content: `call ${index}` }] }),
  });
  return { status: response.status, body: await response.text() };
}

it("holds calls past 64 waiting at the edge, refuses past maxQueuedCalls counting both, and completes every call that waited", async () => {
  simulator.program({ model: "blocker", behavior: { text: Array.from({ length: 15 }, (_, index) => `b${index}`).join(" "), tokenIntervalMs: 100 } });
  simulator.program({ model: "quick", behavior: { text: "quick answer" } });
  const blocker = (async () => {
    let text = "";
    for await (const event of gateway.client.streamComplete({ model: "chat-block", messages: [userText("block")] }, { timeoutMs: 20_000 })) {
      if (event.event.case === "textDelta") text += event.event.value.text;
    }
    return text;
  })();
  await pollUntil(async () => simulator.requests.length, (count) => count === 1);

  // 70 calls wait in the gate; of 30 more, 10 fit the bound of 80 and wait at the edge, 20 are refused.
  const calls = Array.from({ length: 70 }, (_, index) => chat(index));
  await pollUntil(gate, (view) => view.queued === 70);
  calls.push(...Array.from({ length: 30 }, (_, index) => chat(70 + index)));
  const waiting = await pollUntil(gate, (view) => view.refused === 20);
  expect(waiting).toMatchObject({ queued: MAX_QUEUED, refused: 20 });
  // Every call of the second batch that was not refused waits at the edge (and so may a few of the
  // first, depending on how their connections came in).
  expect(waiting.held).toBeGreaterThanOrEqual(10);
  expect(simulator.requests.length, "no waiting or refused call reached the vendor").toBe(1);

  const results = await Promise.all(calls);
  const refused = results.filter((result) => result.status === 429);
  const completed = results.filter((result) => result.status === 200);
  expect(refused.length + completed.length).toBe(CALLS);
  expect(refused.length).toBe(CALLS - MAX_QUEUED);
  // The refused are the last to come.
  expect(results.slice(0, 80).every((result) => result.status === 200)).toBe(true);
  expect(refused.every((result) => result.body.includes("overloaded"))).toBe(true);
  expect(completed.every((result) => result.body.includes("quick answer"))).toBe(true);
  expect(await blocker).toBe(Array.from({ length: 15 }, (_, index) => `b${index}`).join(" "));
  expect(simulator.requests.length, "one vendor call per completed call, and the blocker's").toBe(completed.length + 1);
  expect((await gate()).queued).toBe(0);
}, 60_000);

it("answers every call it held when it drains: 503 shutting down, no reset and no vendor call", async () => {
  simulator.reset();
  simulator.program({ model: "blocker", behavior: { text: Array.from({ length: 50 }, (_, index) => `b${index}`).join(" "), tokenIntervalMs: 100 } });
  simulator.program({ model: "quick", behavior: { text: "quick answer" } });
  const blocker = (async () => {
    for await (const event of gateway.client.streamComplete({ model: "chat-block", messages: [userText("block")] }, { timeoutMs: 20_000 })) void event;
  })().catch(() => undefined);
  await pollUntil(async () => simulator.requests.length, (count) => count === 1);
  const calls = Array.from({ length: 70 }, (_, index) => chat(index));
  await pollUntil(gate, (view) => view.queued === 70);
  const heldCalls = Array.from({ length: 5 }, (_, index) => chat(70 + index));
  expect((await pollUntil(gate, (view) => view.queued === 75)).held).toBeGreaterThanOrEqual(5);

  await gateway.stop();
  const held = await Promise.all(heldCalls);
  expect(held.map((result) => result.status)).toEqual([503, 503, 503, 503, 503]);
  expect(held.every((result) => result.body.includes("shutting down"))).toBe(true);
  // The ones in the gate were cut short too, each with an answer.
  const inside = await Promise.all(calls);
  expect(inside.every((result) => result.status >= 500)).toBe(true);
  expect(simulator.requests.length, "no held or waiting call reached the vendor").toBe(1);
  await blocker;
}, 60_000);
