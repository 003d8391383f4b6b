/**
 * Prometheus metrics and call records from the real gateway process (src/main.ts) with the vendor
 * simulator behind it: after a run in which a breaker opens and closes, `/metrics` has the expected
 * series and values, and the records file has exactly one complete record per request, from both
 * edges (Connect and the OpenAI-compatible routes), with no prompt text and no key.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startSimulator, type Simulator } from "../../src/simulator/index.js";
import { startReplica, writeConfig, type Replica } from "../redis/replicas.js";
import { sleep, userText } from "./harness.js";

const PROMPT = "my secret prompt 4711";
const API_KEY = "sk-canary-key-0123456789abcdef";

/** The value of the series `name{labels}` (labels in any order), or undefined. */
function sample(text: string, name: string, labels: Record<string, string>): number | undefined {
  for (const line of text.split("\n")) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    const labelText = line.slice(name.length).split("} ")[0];
    if (Object.entries(labels).every(([key, value]) => labelText.includes(`${key}="${value}"`))) return Number(line.split(" ").at(-1));
  }
  return undefined;
}

describe("metrics and call records", () => {
  let simulator: Simulator;
  let gateway: Replica;
  let directory: string;
  let recordsFile: string;

  const scrape = async (): Promise<string> => {
    const response = await fetch(`${gateway.url}/metrics`);
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toContain("text/plain");
    return response.text();
  };

  beforeAll(async () => {
    simulator = await startSimulator();
    simulator.setDefault({ text: "fine", usage: { inputTokens: 11, outputTokens: 5 } });
    directory = mkdtempSync(join(tmpdir(), "modelgate-metrics-"));
    recordsFile = join(directory, "records", "calls.jsonl");
    writeConfig(join(directory, "gateway.yaml"), {
      server: { host: "127.0.0.1", port: 0, logLevel: "info", playground: false, shutdownGraceMs: 0, recordsFile },
      reload: { watchFile: false },
      providers: { sim: { kind: "openai", baseUrl: simulator.baseUrl("openai"), apiKey: API_KEY } },
      deployments: {
        flaky: { provider: "sim", model: "flaky", price: { inputNanoUsd: 1_000, outputNanoUsd: 2_000, asOf: "2026-01-01" } },
        steady: { provider: "sim", model: "steady", price: { inputNanoUsd: 1_000, outputNanoUsd: 2_000, asOf: "2026-01-01" } },
      },
      aliases: { chat: { tiers: [["flaky"], ["steady"]] } },
      routing: { retry: { maxAttempts: 2, maxRetriesPerDeployment: 0 }, breaker: { consecutiveFailures: 2, openMs: 400, maxOpenMs: 400, halfOpenProbes: 1 } },
    });
    gateway = await startReplica("metrics", join(directory, "gateway.yaml"));
  }, 60_000);

  afterAll(async () => {
    await gateway?.stop();
    await simulator?.close();
    if (directory !== undefined) rmSync(directory, { recursive: true, force: true });
  });

  it("counts calls, attempts, fallbacks, tokens and cost, and follows a breaker open and closed", async () => {
    const ids: string[] = [];
    simulator.program({ model: "flaky", behavior: { fault: { kind: "status", status: 503 } } });
    for (let index = 0; index < 2; index++) {
      const requestId = `fallback-${index}`;
      ids.push(requestId);
      expect((await gateway.client.complete({ model: "chat", requestId, messages: [userText(PROMPT)] })).route?.deployment).toBe("steady");
    }
    let text = await scrape();
    expect(sample(text, "modelgate_breaker_state", { deployment: "flaky", state: "open" })).toBe(1);
    expect(sample(text, "modelgate_breaker_state", { deployment: "steady", state: "closed" })).toBe(1);

    simulator.reset();
    simulator.setDefault({ text: "fine", usage: { inputTokens: 11, outputTokens: 5 } });
    await sleep(500);
    ids.push("probe");
    expect((await gateway.client.complete({ model: "chat", requestId: "probe", messages: [userText(PROMPT)] })).route?.deployment).toBe("flaky");
    ids.push("streamed");
    for await (const _event of gateway.client.streamComplete({ model: "chat", requestId: "streamed", messages: [userText(PROMPT)] })) {
      // drained
    }
    ids.push("unknown-model");
    await expect(gateway.client.complete({ model: "nope", requestId: "unknown-model", messages: [userText(PROMPT)] })).rejects.toThrow();
    const openai = new OpenAI({ baseURL: `${gateway.url}/v1`, apiKey: "unused" });
    await openai.chat.completions.create({ model: "chat", messages: [{ role: "user", content: PROMPT }] }, { headers: { "x-request-id": "openai-edge" } });
    ids.push("openai-edge");

    text = await scrape();
    expect(sample(text, "modelgate_breaker_state", { deployment: "flaky", state: "closed" })).toBe(1);
    expect(sample(text, "modelgate_breaker_state", { deployment: "flaky", state: "open" })).toBe(0);
    expect(sample(text, "modelgate_requests_total", { model: "chat", deployment: "steady", edge: "connect", status: "OK" })).toBe(2);
    expect(sample(text, "modelgate_requests_total", { model: "chat", deployment: "flaky", edge: "connect", status: "OK" })).toBe(2);
    expect(sample(text, "modelgate_requests_total", { model: "chat", edge: "openai", status: "OK" })).toBe(1);
    // An unknown name is never a label of its own.
    expect(sample(text, "modelgate_requests_total", { model: "other", status: "NOT_FOUND" })).toBe(1);
    expect(text).not.toContain('model="nope"');
    expect(sample(text, "modelgate_fallbacks_total", { from: "flaky", to: "steady" })).toBe(2);
    expect(sample(text, "modelgate_attempts_total", { deployment: "flaky", outcome: "failed" })).toBe(2);
    expect(sample(text, "modelgate_tokens_total", { deployment: "flaky", type: "input", caller: "anonymous" })).toBe(33);
    expect(sample(text, "modelgate_cost_usd_total", { deployment: "steady" })).toBeCloseTo(2 * (11 * 1 + 5 * 2) / 1e6, 9);
    expect(sample(text, "gen_ai_server_request_duration_seconds_count", { gen_ai_request_model: "chat" })).toBe(5);
    expect(sample(text, "gen_ai_server_time_to_first_token_seconds_count", { gen_ai_request_model: "chat" })).toBeGreaterThanOrEqual(1);
    expect(sample(text, "gen_ai_client_token_usage_count", { gen_ai_token_type: "output", deployment: "flaky" })).toBe(3);
    expect(text).toContain("modelgate_process_cpu_seconds_total");
    expect(text).not.toContain(PROMPT);
    expect(text).not.toContain(API_KEY);
    expect(text).not.toContain("fallback-0");

    // The records file: one complete record per request (the file is written asynchronously).
    let records: Record<string, unknown>[] = [];
    for (let waited = 0; waited < 2_000; waited += 50) {
      records = readFileSync(recordsFile, "utf8")
        .split("\n")
        .filter((line) => line !== "")
        .map((line) => JSON.parse(line) as Record<string, unknown>);
      if (records.length >= ids.length) break;
      await sleep(50);
    }
    expect(records.map((record) => record.requestId).sort()).toEqual([...ids].sort());
    const fallback = records.find((record) => record.requestId === "fallback-0");
    expect(fallback).toMatchObject({ edge: "connect", method: "Complete", model: "chat", deployment: "steady", status: "OK", inputTokens: 11, outputTokens: 5, source: "upstream" });
    expect(fallback?.attempts).toMatchObject([
      { deployment: "flaky", outcome: "failed", reason: "PROVIDER_UNAVAILABLE" },
      { deployment: "steady", outcome: "succeeded" },
    ]);
    expect(records.find((record) => record.requestId === "unknown-model")).toMatchObject({ status: "NOT_FOUND", attempts: [] });
    expect(records.find((record) => record.requestId === "openai-edge")).toMatchObject({ edge: "openai", status: "OK", deployment: "flaky" });
    const all = readFileSync(recordsFile, "utf8");
    expect(all).not.toContain(PROMPT);
    expect(all).not.toContain(API_KEY);
    // The same records are the `call finished` log lines.
    expect(gateway.logs.filter((line) => line.msg === "call finished")).toHaveLength(ids.length);
  }, 30_000);
});
