/**
 * `npm run demo`: a tour of modelgate with no keys, no Redis and no network. It starts the four vendor
 * simulators and the gateway on loopback, then walks through a unary call, a streamed call, cost routing,
 * latency routing, an outage with fallback and a breaker that opens and recovers, and a canary split,
 * then caller keys: the gateway above has no `auth` section and takes calls without a key, and a second
 * gateway with one refuses them (UNAUTHENTICATED) and answers the same call with a key. It prints what
 * happened as a table. Exits non-zero if any step did not behave as described.
 */
import { setTimeout as sleep } from "node:timers/promises";
import { Code, ConnectError } from "@connectrpc/connect";
import type { Logger } from "pino";
import { BreakerState } from "../../gen/modelgate/v1/models_pb.js";
import { generateCallerKey } from "../callers/caller-key.js";
import { createCallerGateFromConfig } from "../callers/create-caller-gate.js";
import type { GatewayConfig } from "../config/schema.js";
import type { CompletionEngine } from "../gateway/types.js";
import { createLogger } from "../observability/logger.js";
import { createGatewayEngine } from "../routing/create-gateway-engine.js";
import { createGatewayServer } from "../server/create-server.js";
import { startSimulator } from "../simulator/index.js";
import { createDemoClient, userMessage, type GatewayClient } from "./demo-client.js";
import { createDemoAuth, createDemoConfig } from "./demo-config.js";

interface Row {
  step: string;
  outcome: string;
  ok: boolean;
}

const rows: Row[] = [];
function record(step: string, ok: boolean, outcome: string): void {
  rows.push({ step, outcome, ok });
  console.log(`${ok ? "✔" : "✘"} ${step}: ${outcome}`);
}

async function servedBy(client: GatewayClient, model: string, text = "Hello"): Promise<string> {
  const response = await client.complete({ model, messages: [userMessage(text)] });
  return response.route?.deployment ?? "?";
}

function count(values: string[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const value of values) counts.set(value, (counts.get(value) ?? 0) + 1);
  return counts;
}

function formatCounts(counts: Map<string, number>): string {
  return [...counts.entries()].map(([name, n]) => `${name}×${n}`).join(", ");
}

async function breakerState(client: GatewayClient, deployment: string): Promise<BreakerState> {
  const { stats } = await client.getDeploymentStats({ deployments: [deployment] });
  return stats[0]?.breakerState ?? BreakerState.UNSPECIFIED;
}

/** "UNAUTHENTICATED", as gRPC spells it (connect-es's enum says "Unauthenticated"). */
function grpcCodeName(code: Code): string {
  return Code[code].replace(/([a-z])([A-Z])/g, "$1_$2").toUpperCase();
}

/** A second gateway over the same engine, with `auth` on: refused without a key, answered with one. */
async function showCallerKeys(config: GatewayConfig, engine: CompletionEngine, logger: Logger): Promise<void> {
  const key = generateCallerKey();
  const auth = createDemoAuth(key);
  const callers = await createCallerGateFromConfig({ auth: () => auth, logger });
  const secured = await createGatewayServer({ config: { ...config, auth }, engine, logger, callers });
  try {
    const client = createDemoClient(secured.url);
    const request = { model: "chat", messages: [userMessage("Who is calling?")] };
    const refused = await client.complete(request).then(
      () => undefined,
      (error: unknown) => ConnectError.from(error),
    );
    record(
      "auth on: no key",
      refused?.code === Code.Unauthenticated,
      refused === undefined ? "answered without a key" : `second gateway, \`auth\` with one key: ${grpcCodeName(refused.code)} "${refused.rawMessage}"`,
    );
    const accepted = await client.complete(request, { headers: { authorization: `Bearer ${key}` } });
    record(
      "auth on: with key",
      accepted.text.length > 0,
      `the same call with authorization: Bearer mgk_… (the gateway holds only its SHA-256): served by ${accepted.route?.deployment}`,
    );
  } finally {
    await secured.close(0);
    await callers.close();
  }
}

async function main(): Promise<void> {
  const logger = createLogger({ level: process.env.MODELGATE_LOG_LEVEL ?? "silent" });
  const simulator = await startSimulator({ port: 0 });
  const config = createDemoConfig(simulator);
  const engine = await createGatewayEngine(config, { logger });
  const server = await createGatewayServer({ config, engine, logger });
  const client = createDemoClient(server.url);
  console.log(`modelgate demo: gateway on ${server.url}, vendor simulators on ${simulator.url}\n`);

  try {
    // 1. A unary call through the "chat" alias (Anthropic first).
    simulator.setDefault({ text: "Paris is the capital of France." });
    const unary = await client.complete({ model: "chat", messages: [userMessage("What is the capital of France?")] });
    record(
      "unary Complete",
      unary.text.length > 0 && unary.route?.deployment === "claude-sonnet",
      `"${unary.text}" from ${unary.route?.deployment}; ${unary.usage?.inputTokens} in / ${unary.usage?.outputTokens} out tokens; cost ${unary.costMicroUsd ?? "unpriced"} µUSD`,
    );

    // 2. A streamed call, printed as it arrives.
    simulator.setDefault({ text: "Streams arrive word by word, and always end with a finish event.", tokenIntervalMs: 40 });
    process.stdout.write("  stream: ");
    let deltas = 0;
    let finished = false;
    for await (const event of client.streamComplete({ model: "chat", messages: [userMessage("Stream please")] })) {
      if (event.event.case === "textDelta") {
        deltas += 1;
        process.stdout.write(event.event.value.text);
      } else if (event.event.case === "finish") {
        finished = true;
      }
    }
    process.stdout.write("\n");
    record("streamed StreamComplete", finished && deltas > 1, `${deltas} text deltas, then a finish event`);
    simulator.setDefault({});

    // 3. Cost routing: the cheapest eligible deployment wins.
    const cheapest = await servedBy(client, "cheapest");
    record("cost routing", cheapest === "gemini-flash-lite", `served by ${cheapest} (cheapest of gpt-4.1, claude-sonnet, gemini-flash-lite)`);

    // 4. Latency routing: slow one vendor down and watch traffic move away from it.
    simulator.program({ vendor: "openai", behavior: { firstTokenDelayMs: 250 } });
    const latencyServed: string[] = [];
    for (let i = 0; i < 24; i += 1) latencyServed.push(await servedBy(client, "fastest"));
    const lastTwelve = latencyServed.slice(12);
    const slowShare = lastTwelve.filter((name) => name === "gpt-4.1-mini").length / lastTwelve.length;
    record(
      "latency routing",
      slowShare <= 0.25,
      `openai slowed by 250 ms; last 12 requests: ${formatCounts(count(lastTwelve))}`,
    );
    simulator.reset();

    // 5. Outage: Anthropic returns 529 overloaded. Requests fall back to OpenAI; the breaker opens, then
    // recovers once Anthropic is healthy again.
    simulator.program({ vendor: "anthropic", behavior: { fault: { kind: "status", status: 529 } } });
    const outageServed: string[] = [];
    for (let i = 0; i < 6; i += 1) outageServed.push(await servedBy(client, "chat"));
    const openDuringOutage = (await breakerState(client, "claude-sonnet")) === BreakerState.OPEN;
    const anthropicCallsDuringOpen = simulator.requests.filter((r) => r.vendor === "anthropic").length;
    record(
      "outage → fallback",
      outageServed.every((name) => name === "gpt-4.1"),
      `anthropic 529s; all 6 requests served by ${formatCounts(count(outageServed))}`,
    );
    record(
      "breaker opens",
      openDuringOutage && anthropicCallsDuringOpen <= 4,
      `claude-sonnet breaker OPEN after ${anthropicCallsDuringOpen} failed calls; later requests skip it`,
    );
    simulator.reset();
    await sleep(config.routing.breaker.openMs + 200);
    const recovered = await servedBy(client, "chat");
    const closedAgain = (await breakerState(client, "claude-sonnet")) === BreakerState.CLOSED;
    record("breaker recovers", recovered === "claude-sonnet" && closedAgain, `half-open probe succeeded; served by ${recovered}; breaker CLOSED`);

    // 6. Canary split: 90 % / 10 % by weight.
    const canaryServed: string[] = [];
    for (let i = 0; i < 200; i += 1) canaryServed.push(await servedBy(client, "canary"));
    const canaryShare = canaryServed.filter((name) => name === "claude-haiku").length / canaryServed.length;
    record("canary split", canaryShare > 0.03 && canaryShare < 0.2, `200 requests: ${formatCounts(count(canaryServed))} (target 90/10)`);

    // 7. Caller keys. This gateway has no `auth` section: anyone who reaches the port may call.
    const anonymous = await servedBy(client, "chat");
    record("auth off: no key", anonymous !== "?", `no \`auth\` section: a call without a key is served by ${anonymous}`);
    await showCallerKeys(config, engine, logger);
  } finally {
    await server.close(0);
    await engine.close();
    await simulator.close();
  }

  const width = Math.max(...rows.map((row) => row.step.length));
  console.log(`\n${"step".padEnd(width)}  ok  what happened`);
  for (const row of rows) console.log(`${row.step.padEnd(width)}  ${row.ok ? "✔ " : "✘ "}  ${row.outcome}`);
  const failed = rows.filter((row) => !row.ok);
  if (failed.length > 0) {
    console.error(`\n${failed.length} step(s) did not behave as described.`);
    process.exitCode = 1;
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
