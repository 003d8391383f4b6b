/**
 * The overload gate in the real gateway process (src/main.ts) with the vendor simulator behind it,
 * limits set small so that the test needs no real overload: with 2 calls allowed to run and 1 to wait,
 * the third call waits for a slot and then succeeds, the fourth is refused at once with
 * RESOURCE_EXHAUSTED / RATE_LIMITED (cause gateway_overloaded, retry after 1 s) on Connect and with 429
 * on the OpenAI edge, and no refused or waiting call reaches the vendor before it has a slot. A call
 * whose deadline passes while it waits ends DEADLINE_EXCEEDED without a vendor call. `/metrics` shows
 * the gate.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Code, ConnectError } from "@connectrpc/connect";
import { afterAll, beforeAll, beforeEach, expect, it } from "vitest";
import { ErrorInfoSchema } from "../../gen/google/rpc/error_details_pb.js";
import { startSimulator, type Simulator } from "../../src/simulator/index.js";
import { startReplica, writeConfig, type Replica } from "../redis/replicas.js";
import { pollUntil, userText } from "./harness.js";

let simulator: Simulator;
let gateway: Replica;
let directory: string;

beforeAll(async () => {
  simulator = await startSimulator();
  directory = mkdtempSync(join(tmpdir(), "modelgate-overload-"));
  writeConfig(join(directory, "gateway.yaml"), {
    // A loop delay no test run reaches, so the limit stays at its minimum (2) and the test decides who waits.
    server: { host: "127.0.0.1", port: 0, logLevel: "info", playground: false, shutdownGraceMs: 0, overload: { minConcurrentCalls: 2, maxConcurrentCalls: 2, maxQueuedCalls: 1, targetLoopDelayMs: 60_000 } },
    reload: { watchFile: false },
    providers: { sim: { kind: "openai", baseUrl: simulator.baseUrl("openai"), apiKey: "sk-test" } },
    deployments: { slow: { provider: "sim", model: "slow" } },
    aliases: { chat: { tiers: [["slow"]] } },
  });
  gateway = await startReplica("overload", join(directory, "gateway.yaml"));
}, 60_000);

beforeEach(() => {
  simulator.reset();
  // 10 deltas 100 ms apart: each stream holds its slot for about a second.
  simulator.setDefault({ text: Array.from({ length: 10 }, (_, index) => `w${index}`).join(" "), tokenIntervalMs: 100 });
});

afterAll(async () => {
  await gateway?.stop();
  await simulator?.close();
  if (directory !== undefined) rmSync(directory, { recursive: true, force: true });
});

async function streamText(requestId: string, timeoutMs = 20_000): Promise<string> {
  let text = "";
  for await (const event of gateway.client.streamComplete({ model: "chat", requestId, messages: [userText(requestId)] }, { timeoutMs })) {
    if (event.event.case === "textDelta") text += event.event.value.text;
  }
  return text;
}

const upstreamCalls = (): number => simulator.requests.length;

it("runs two calls, lets the third wait for a slot and refuses the fourth with RATE_LIMITED (gateway_overloaded) before any vendor call", async () => {
  const first = streamText("first");
  const second = streamText("second");
  await pollUntil(async () => upstreamCalls(), (count) => count === 2);
  const third = streamText("third");
  // The third waits in the gate: no vendor call for it yet.
  await new Promise((resolve) => setTimeout(resolve, 200));
  expect(upstreamCalls()).toBe(2);

  const refused = await streamText("fourth").then(
    () => undefined,
    (error: unknown) => ConnectError.from(error),
  );
  expect(refused?.code).toBe(Code.ResourceExhausted);
  const info = refused?.findDetails(ErrorInfoSchema)[0];
  expect(info?.reason).toBe("RATE_LIMITED");
  expect(info?.metadata.cause).toBe("gateway_overloaded");

  const openai = await fetch(`${gateway.url}/v1/chat/completions`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ model: "chat", messages: [{ role: "user", content: "fifth" }] }),
  });
  expect(openai.status).toBe(429);
  expect(openai.headers.get("retry-after")).toBe("1");
  expect(((await openai.json()) as { error: { message: string } }).error.message).toContain("overloaded");

  const texts = await Promise.all([first, second, third]);
  expect(texts.every((text) => text.split(" ").length === 10)).toBe(true);
  expect(upstreamCalls(), "the refused calls never reached the vendor").toBe(3);

  const metrics = await (await fetch(`${gateway.url}/metrics`)).text();
  expect(metrics).toMatch(/^modelgate_overload_concurrency_limit 2$/m);
  expect(metrics).toMatch(/^modelgate_overload_refused_calls_total 2$/m);
  expect(metrics).toMatch(/^modelgate_overload_queued_calls 0$/m);
}, 30_000);

it("ends a waiting call DEADLINE_EXCEEDED when its deadline passes before a slot frees, without a vendor call", async () => {
  const running = [streamText("hold-1"), streamText("hold-2")];
  await pollUntil(async () => upstreamCalls(), (count) => count === 2);
  const late = await streamText("too-late", 300).then(
    () => undefined,
    (error: unknown) => ConnectError.from(error),
  );
  expect(late?.code).toBe(Code.DeadlineExceeded);
  await Promise.all(running);
  expect(upstreamCalls()).toBe(2);
  // The slot it waited for went to no one: a new call runs at once.
  expect((await streamText("after")).split(" ")).toHaveLength(10);
}, 30_000);
