/**
 * Config reload end to end: the real `modelgate serve` process on a config file, the vendor simulator
 * as the upstream, and a grpc-js client. A canary moves 0 → 100 % by SIGHUP and to 50 % by
 * `POST /admin/reload` while a stream is running and unary calls keep coming: no call fails, the
 * stream finishes on the deployment it started on, and new calls follow the new config at once.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { status as GrpcStatus } from "@grpc/grpc-js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startSimulator, type Simulator } from "../../src/simulator/index.js";
import { createGatewayClient, eventOf, streamedText, userText, type GatewayClient, type StreamOutcome } from "./harness.js";

const root = join(import.meta.dirname, "..", "..");
const tsxLoader = join(root, "node_modules", "tsx", "dist", "loader.mjs");
const adminToken = "e2e-admin-token-0123456789";
const streamText = Array.from({ length: 40 }, (_, index) => `word${index}`).join(" ");

let sim: Simulator;
let configPath: string;
let gateway: ChildProcess;
let client: GatewayClient;
/** The running load loop, stopped in afterAll if a test failed before stopping it. */
let load: { stop(): Promise<{ served: string[]; failures: string[] }> } | undefined;
let baseUrl: string;
const logs: Record<string, unknown>[] = [];

/** The config with the alias `chat` split between `stable` and `canary` by these weights. */
function configText(weights: { stable: number; canary: number }): string {
  return JSON.stringify({
    server: { host: "127.0.0.1", port: 0, logLevel: "info", playground: false, shutdownGraceMs: 0, admin: { token: "${MODELGATE_ADMIN_TOKEN}" } },
    // Reloads here come from SIGHUP and the admin route only, so each one is the test's doing.
    reload: { watchFile: false },
    providers: { sim: { kind: "openai", baseUrl: sim.baseUrl("openai"), apiKey: "sim-key" } },
    deployments: { stable: { provider: "sim", model: "stable-model" }, canary: { provider: "sim", model: "canary-model" } },
    aliases: { chat: { strategy: "weighted", tiers: [["stable", "canary"]], weights } },
  });
}

/** Resolves with the first log line (after `from`) that `match` accepts. */
async function logLine(match: (line: Record<string, unknown>) => boolean, from = 0, timeoutMs = 10_000): Promise<Record<string, unknown>> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const found = logs.slice(from).find(match);
    if (found !== undefined) return found;
    if (Date.now() > until) throw new Error(`no such log line; the log:\n${logs.map((line) => JSON.stringify(line)).join("\n")}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Unary calls one after another until `stop()`; resolves with the deployment of each and every failure. */
function keepCalling(): { stop(): Promise<{ served: string[]; failures: string[] }> } {
  let running = true;
  const served: string[] = [];
  const failures: string[] = [];
  const loop = (async () => {
    while (running) {
      const { response, status } = await client.complete({ model: "chat", messages: [userText("hello")] });
      if (status.code !== GrpcStatus.OK) failures.push(`${status.code} ${status.message}`);
      else served.push(response?.route?.deployment ?? "?");
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
      return { served, failures };
    },
  };
}

/** Where `count` new unary calls on `chat` go. */
async function routeOf(count: number): Promise<string[]> {
  const served: string[] = [];
  for (let index = 0; index < count; index++) {
    const { response, status } = await client.complete({ model: "chat", messages: [userText("hello")] });
    expect(status.code).toBe(GrpcStatus.OK);
    served.push(response?.route?.deployment ?? "?");
  }
  return served;
}

/** Starts a slow stream on `chat` and resolves once its first text arrived (it is then running). */
async function startLongStream(): Promise<{ outcome: Promise<StreamOutcome>; running(): boolean }> {
  let firstText: () => void = () => undefined;
  const started = new Promise<void>((resolve) => (firstText = resolve));
  const outcome = client.stream(
    { model: "chat", messages: [userText("tell me a story")] },
    { onEvent: (event) => (event.event.case === "textDelta" ? firstText() : undefined) },
  );
  let ended = false;
  void outcome.then(() => (ended = true));
  await started;
  return { outcome, running: () => !ended };
}

const adminReload = (token = adminToken): Promise<Response> =>
  fetch(`${baseUrl}/admin/reload`, { method: "POST", headers: { authorization: `Bearer ${token}` } });

beforeAll(async () => {
  sim = await startSimulator();
  // Streams take ~4 s (40 words, 100 ms apart), long enough to outlast a reload on a busy machine;
  // unary answers come at once.
  sim.setDefault({ text: streamText, tokenIntervalMs: 100 });
  configPath = join(mkdtempSync(join(tmpdir(), "modelgate-reload-e2e-")), "modelgate.yaml");
  writeFileSync(configPath, configText({ stable: 100, canary: 0 }));
  gateway = spawn(process.execPath, ["--import", tsxLoader, "src/main.ts", "serve", "--config", configPath, "--port", "0"], {
    cwd: root,
    env: { ...process.env, MODELGATE_ADMIN_TOKEN: adminToken, MODELGATE_LOG_PRETTY: "0" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let partial = "";
  gateway.stdout?.on("data", (data: Buffer) => {
    const lines = (partial + data.toString("utf8")).split("\n");
    partial = lines.pop() ?? "";
    for (const line of lines) if (line.trim() !== "") logs.push(JSON.parse(line) as Record<string, unknown>);
  });
  let stderr = "";
  gateway.stderr?.on("data", (data: Buffer) => (stderr += data.toString("utf8")));
  gateway.once("exit", (code) => {
    if (code !== 0) logs.push({ msg: `exited ${code}: ${stderr}` });
  });
  const listening = await logLine((line) => line.msg === "modelgate listening (gRPC, gRPC-Web, Connect)", 0, 30_000);
  baseUrl = `http://127.0.0.1:${Number(listening.port)}`;
  client = createGatewayClient(`127.0.0.1:${Number(listening.port)}`);
});

afterAll(async () => {
  await load?.stop();
  client?.close();
  if (gateway?.exitCode === null) {
    const exited = new Promise((resolve) => gateway.once("exit", resolve));
    gateway.kill("SIGTERM");
    await exited;
  }
  await sim?.close();
});

describe("config reload", () => {
  it("moves a canary from 0 to 100 % on SIGHUP with no failed call while a stream runs", async () => {
    expect(new Set(await routeOf(5))).toEqual(new Set(["stable"]));
    const stream = await startLongStream();
    load = keepCalling();

    writeFileSync(configPath, configText({ stable: 0, canary: 100 }));
    const from = logs.length;
    gateway.kill("SIGHUP");
    await logLine((line) => line.msg === "config reloaded: new calls use the new config, running calls finish on the old one" && line.trigger === "signal", from);
    expect(stream.running()).toBe(true);
    expect(new Set(await routeOf(10))).toEqual(new Set(["canary"]));

    const { served, failures } = await load.stop();
    const streamed = await stream.outcome;
    expect(failures).toEqual([]);
    expect(served.length).toBeGreaterThan(0);
    expect(streamed.status.code).toBe(GrpcStatus.OK);
    expect(eventOf(streamed.events, "start")?.deployment).toBe("stable");
    expect(streamedText(streamed.events).trim()).toBe(streamText);
    // The old engine waited for the stream, then closed.
    await logLine((line) => line.msg === "the engine of the replaced config is closed" && line.why === "last call ended", from);
    // Only the engine changed: the process kept serving.
    expect(gateway.exitCode).toBeNull();
  });

  it("keeps breaker and stats state across a reload (one store for every engine)", async () => {
    const [stable] = await client.deploymentStats(["stable"]);
    // The calls on `stable` before the SIGHUP reload are still counted by the engine built after it.
    expect(Number(stable.attempts)).toBeGreaterThanOrEqual(6);
  });

  it("applies a new split from POST /admin/reload while a stream runs, and refuses a bad file with its problems", async () => {
    expect((await adminReload("not-the-admin-token-at-all")).status).toBe(401);

    const stream = await startLongStream();
    load = keepCalling();
    writeFileSync(configPath, configText({ stable: 50, canary: 50 }));
    const applied = await adminReload();
    expect(stream.running()).toBe(true);
    expect(applied.status).toBe(200);
    expect(await applied.json()).toEqual({ applied: true, status: "applied", needsRestart: [] });
    expect(new Set(await routeOf(40))).toEqual(new Set(["stable", "canary"]));

    writeFileSync(configPath, configText({ stable: 50, canary: 50 }).replace('"tiers":[["stable","canary"]]', '"tiers":[["stable","nowhere"]]'));
    const refused = await adminReload();
    expect(refused.status).toBe(422);
    expect(await refused.json()).toEqual({
      applied: false,
      status: "refused",
      problems: ['modelgate.yaml: aliases.chat.tiers[0][1]: unknown deployment "nowhere" (known: canary, stable)'],
    });
    expect(new Set(await routeOf(40))).toEqual(new Set(["stable", "canary"]));

    const { failures } = await load.stop();
    const streamed = await stream.outcome;
    expect(failures).toEqual([]);
    expect(streamed.status.code).toBe(GrpcStatus.OK);
    expect(eventOf(streamed.events, "start")?.deployment).toBe("canary");
    expect(streamedText(streamed.events).trim()).toBe(streamText);
    expect(logs.map((line) => JSON.stringify(line)).join("\n")).not.toContain(adminToken);
  });
});
