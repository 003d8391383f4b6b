/**
 * Caller keys and limits over real sockets, in one process: the real engine over the echo provider, the
 * real server on port 0, connect-node clients. Without Redis: keys from the config (as hashes), limits in
 * memory. Every log line is captured to check that the canary key never appears in it.
 */
import { Writable } from "node:stream";
import { Code, createClient } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";
import OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { QuotaFailureSchema, RetryInfoSchema, ErrorInfoSchema } from "../../gen/google/rpc/error_details_pb.js";
import { Role } from "../../gen/modelgate/v1/content_pb.js";
import { GatewayService } from "../../gen/modelgate/v1/gateway_service_pb.js";
import { createCallerAuthenticator } from "../../src/callers/caller-authenticator.js";
import { createCallerGate } from "../../src/callers/caller-gate.js";
import { generateCallerKey, hashCallerKey } from "../../src/callers/caller-key.js";
import { createEmptyKeyStore } from "../../src/callers/key-store.js";
import { createMemoryCallerLimiter } from "../../src/callers/memory-caller-limiter.js";
import { configSchema } from "../../src/config/schema.js";
import { createLogger } from "../../src/observability/logger.js";
import { createGatewayEngine } from "../../src/routing/create-gateway-engine.js";
import { createGatewayServer, type GatewayServer } from "../../src/server/create-server.js";
import { failure } from "./clients.js";

const canary = generateCallerKey();
const limited = generateCallerKey();
const streamer = generateCallerKey();
const spender = generateCallerKey();
const openaiLimited = generateCallerKey();
const lines: string[] = [];

const config = configSchema.parse({
  server: { host: "127.0.0.1", port: 0, logLevel: "info", playground: false },
  providers: { echo: { kind: "echo" } },
  deployments: {
    echo: { provider: "echo", model: "echo", price: { inputNanoUsd: 1_000_000, outputNanoUsd: 1_000_000, asOf: "2026-01-01" } },
    slow: { provider: "echo", model: "echo-100ms" },
  },
  aliases: { chat: { tiers: [["echo"]] }, other: { tiers: [["echo"]] }, slow: { tiers: [["slow"]] } },
  auth: {
    keys: [
      { id: "canary", sha256: hashCallerKey(canary), policy: { aliases: ["chat"], metadata: { team: "payments", service: "checkout", environment: "prod" } } },
      { id: "limited", sha256: hashCallerKey(limited), policy: { requestsPerMinute: 3 } },
      { id: "streamer", sha256: hashCallerKey(streamer), policy: { maxConcurrentStreams: 1, tokensPerMinute: 10_000 } },
      { id: "spender", sha256: hashCallerKey(spender), policy: { dailyBudgetUsd: 0.000_01 } },
      { id: "openai-limited", sha256: hashCallerKey(openaiLimited), policy: { requestsPerMinute: 2, aliases: ["chat"] } },
    ],
  },
});

let server: GatewayServer;
const client = () => createClient(GatewayService, createConnectTransport({ baseUrl: server.url, httpVersion: "1.1" }));
const ask = (key: string | undefined, model = "chat", text = "hello there") =>
  client().complete(
    { model, messages: [{ role: Role.USER, parts: [{ part: { case: "text", value: text } }] }] },
    { headers: key === undefined ? {} : { authorization: `Bearer ${key}` } },
  );

beforeAll(async () => {
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(...chunk.toString().split("\n").filter(Boolean));
      done();
    },
  });
  const logger = createLogger({ level: "info", destination });
  const engine = await createGatewayEngine(config, { logger });
  const callers = createCallerGate(createCallerAuthenticator({ config: () => config.auth, store: createEmptyKeyStore(), logger }), createMemoryCallerLimiter());
  server = await createGatewayServer({ config, engine, logger, callers });
});
afterAll(async () => {
  await server?.close(0);
});

describe("caller keys on the GatewayService", () => {
  it("refuses a call without a key, or with an unknown one, with UNAUTHENTICATED", async () => {
    for (const key of [undefined, generateCallerKey()]) {
      const error = await failure(ask(key));
      expect(error.code).toBe(Code.Unauthenticated);
      expect(error.findDetails(ErrorInfoSchema)[0].reason).toBe("UNAUTHENTICATED");
    }
  });

  it("serves a known key and names its caller, team, service and environment in the call's log line", async () => {
    const response = await ask(canary);
    expect(response.text).toContain("hello");
    const line = lines
      .map((text) => JSON.parse(text) as { msg?: string; caller?: { id?: string } })
      .find((entry) => entry.msg === "call finished" && entry.caller?.id === "canary");
    expect(line).toMatchObject({ caller: { id: "canary", team: "payments", service: "checkout", environment: "prod" }, status: "OK" });
  });

  it("refuses a model outside the key's aliases with PERMISSION_DENIED", async () => {
    const error = await failure(ask(canary, "other"));
    expect(error.code).toBe(Code.PermissionDenied);
  });

  it("refuses a call over the requests per minute with RESOURCE_EXHAUSTED, QuotaFailure and RetryInfo", async () => {
    for (let index = 0; index < 3; index++) await ask(limited);
    const error = await failure(ask(limited));
    expect(error.code).toBe(Code.ResourceExhausted);
    expect(error.findDetails(ErrorInfoSchema)[0].reason).toBe("RATE_LIMITED");
    expect(error.findDetails(QuotaFailureSchema)[0].violations).toEqual([
      expect.objectContaining({ subject: "key:limited", description: "requests per minute (3)" }),
    ]);
    const delay = error.findDetails(RetryInfoSchema)[0].retryDelay;
    expect(Number(delay?.seconds)).toBeGreaterThan(0);
    expect(Number(delay?.seconds)).toBeLessThanOrEqual(60);
  });

  it("refuses a second concurrent stream, and admits one again after the first ended", async () => {
    const headers = { authorization: `Bearer ${streamer}` };
    const request = { model: "slow", messages: [{ role: Role.USER, parts: [{ part: { case: "text" as const, value: "one two three" } }] }] };
    const first = client().streamComplete(request, { headers })[Symbol.asyncIterator]();
    await first.next();
    const second = await failure((async () => {
      for await (const _ of client().streamComplete(request, { headers })) void _;
    })());
    expect(second.code).toBe(Code.ResourceExhausted);
    expect(second.findDetails(QuotaFailureSchema)[0].violations[0].description).toBe("concurrent streams (1)");
    while (!(await first.next()).done);
    let events = 0;
    for await (const _ of client().streamComplete(request, { headers })) events++;
    expect(events).toBeGreaterThan(0);
  });

  it("lets the call that crosses the daily budget finish and refuses the next", async () => {
    await ask(spender, "chat", "a few words that cost more than ten micro dollars at one dollar per thousand tokens");
    const error = await failure(ask(spender));
    expect(error.code).toBe(Code.ResourceExhausted);
    expect(error.findDetails(ErrorInfoSchema)[0].reason).toBe("COST_LIMIT_EXCEEDED");
  });

  it("never writes the key into a log line or an error", async () => {
    const error = await failure(ask(canary, "other"));
    expect(JSON.stringify({ message: error.message, details: error.details, grpcMessage: error.rawMessage })).not.toContain(canary);
    expect(lines.join("\n")).not.toContain(canary);
    expect(lines.join("\n")).not.toContain(canary.slice(4, 20));
  });
});

describe("caller keys on the OpenAI-compatible edge", () => {
  const openai = (key: string) => new OpenAI({ baseURL: `${server.url}/v1`, apiKey: key, maxRetries: 0 });
  const chat = (key: string, model = "chat") => openai(key).chat.completions.create({ model, messages: [{ role: "user", content: "hello there" }] });

  it("refuses an unknown key (401) and a model outside the key's aliases (403)", async () => {
    await expect(chat(generateCallerKey())).rejects.toBeInstanceOf(OpenAI.AuthenticationError);
    await expect(chat(openaiLimited, "other")).rejects.toBeInstanceOf(OpenAI.PermissionDeniedError);
  });

  it("applies the key's requests per minute, with the same limiter as the RPCs: 429 with retry-after", async () => {
    expect((await chat(openaiLimited)).choices[0]?.message.content).toBeTruthy();
    // The RPC edge draws on the same window.
    await ask(openaiLimited);
    const error = await chat(openaiLimited).then(
      () => undefined,
      (reason: unknown) => reason,
    );
    expect(error).toBeInstanceOf(OpenAI.RateLimitError);
    expect(Number((error as InstanceType<typeof OpenAI.RateLimitError>).headers?.get("retry-after"))).toBeGreaterThan(0);
  });
});
