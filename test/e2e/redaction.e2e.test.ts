/**
 * PII redaction end to end: the vendor simulator (an OpenAI-protocol server on loopback) records every
 * request body it receives, so what a vendor would have seen is checked there, not in our own code. The
 * engine is wrapped as src/main.ts wraps it; calls come through the Connect edge (connect-node) and the
 * OpenAI-compatible edge (the `openai` SDK). Redaction is on for the alias `support` and for the key
 * `careful` (policy `redactPii`), off for the key `plain` on `chat`.
 */
import { createClient } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";
import OpenAI from "openai";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { Role } from "../../gen/modelgate/v1/content_pb.js";
import { GatewayService } from "../../gen/modelgate/v1/gateway_service_pb.js";
import { createCallerAuthenticator, policyOfCaller } from "../../src/callers/caller-authenticator.js";
import { createCallerGate } from "../../src/callers/caller-gate.js";
import { generateCallerKey, hashCallerKey } from "../../src/callers/caller-key.js";
import { createEmptyKeyStore } from "../../src/callers/key-store.js";
import { createMemoryCallerLimiter } from "../../src/callers/memory-caller-limiter.js";
import { configSchema, type GatewayConfig } from "../../src/config/schema.js";
import type { CallRecord } from "../../src/observability/call-record.js";
import { createLogger } from "../../src/observability/logger.js";
import { createRedactingEngine } from "../../src/redaction/redacting-engine.js";
import { createGatewayEngine } from "../../src/routing/create-gateway-engine.js";
import { createGatewayServer, type GatewayServer } from "../../src/server/create-server.js";
import { createHttpCallerAuthenticator } from "../../src/server/authenticate-http-request.js";
import { startSimulator, type Simulator } from "../../src/simulator/index.js";

const plain = generateCallerKey();
const careful = generateCallerKey();
const secrets = {
  email: "jane.doe@example.com",
  phone: "+44 20 7946 0958",
  card: "4111 1111 1111 1111",
  iban: "DE89 3704 0044 0532 0130 00",
};
const prompt = `I am ${secrets.email} (again: ${secrets.email}), phone ${secrets.phone}; refund card ${secrets.card} or IBAN ${secrets.iban}.`;
const system = "You are the support desk of support@company.example.";

let sim: Simulator;
let gateway: GatewayServer;
const records: CallRecord[] = [];

/** Every text the simulator received in its last request's messages, role by role. */
function lastVendorMessages(): { role: string; content: string }[] {
  const body = sim.requests.at(-1)?.body as { messages: { role: string; content: string | { text?: string }[] }[] };
  return body.messages.map((message) => ({
    role: message.role,
    content: typeof message.content === "string" ? message.content : message.content.map((part) => part.text ?? "").join(""),
  }));
}

const connect = (key: string, model: string) =>
  createClient(GatewayService, createConnectTransport({ baseUrl: gateway.url, httpVersion: "1.1" })).complete(
    {
      model,
      messages: [
        { role: Role.SYSTEM, parts: [{ part: { case: "text", value: system } }] },
        { role: Role.USER, parts: [{ part: { case: "text", value: prompt } }] },
      ],
    },
    { headers: { authorization: `Bearer ${key}` } },
  );

beforeAll(async () => {
  sim = await startSimulator({ port: 0 });
  const config: GatewayConfig = configSchema.parse({
    server: { host: "127.0.0.1", port: 0, logLevel: "silent", playground: false },
    providers: { sim: { kind: "openai", baseUrl: sim.baseUrl("openai"), apiKey: "sk-test-redaction" } },
    deployments: { gpt: { provider: "sim", model: "gpt-4o-mini" } },
    aliases: { chat: { tiers: [["gpt"]] }, support: { tiers: [["gpt"]] } },
    auth: {
      keys: [
        { id: "plain", sha256: hashCallerKey(plain) },
        { id: "careful", sha256: hashCallerKey(careful), policy: { redactPii: true } },
      ],
    },
    redaction: { aliases: ["support"] },
  });
  const logger = createLogger({ level: "silent" });
  const engine = createRedactingEngine(await createGatewayEngine(config, { logger }), {
    config: () => config.redaction,
    callerRedacts: (caller) => policyOfCaller(caller)?.redactPii === true,
  });
  const callers = createCallerGate(createCallerAuthenticator({ config: () => config.auth, store: createEmptyKeyStore(), logger }), createMemoryCallerLimiter());
  const recorder = { record: (record: CallRecord) => void records.push(record), close: async () => {} };
  gateway = await createGatewayServer({ config, engine, logger, callers, recorder, authenticateHttp: createHttpCallerAuthenticator(callers) });
});
beforeEach(() => sim.reset());
afterAll(async () => {
  await gateway?.close(0);
  await sim?.close();
});

describe("PII redaction, seen at the vendor", () => {
  it("replaces e-mail, phone, card and IBAN with typed placeholders for a redacted alias, and records counts only", async () => {
    await connect(plain, "support");
    const [systemMessage, user] = lastVendorMessages();
    for (const value of Object.values(secrets)) expect(JSON.stringify(sim.requests.at(-1)?.body)).not.toContain(value);
    expect(user?.content).toBe("I am [EMAIL_1] (again: [EMAIL_1]), phone [PHONE_1]; refund card [CARD_1] or IBAN [IBAN_1].");
    expect(systemMessage?.content).toBe(system);
    const record = records.at(-1);
    expect(record).toMatchObject({ model: "support", status: "OK", redactions: { email: 2, phone: 1, card: 1, iban: 1 } });
    for (const value of Object.values(secrets)) expect(JSON.stringify(record)).not.toContain(value);
  });

  it("leaves another alias alone for a key without redactPii, and redacts it for a key with it", async () => {
    await connect(plain, "chat");
    expect(lastVendorMessages()[1]?.content).toBe(prompt);
    expect(records.at(-1)?.redactions).toBeUndefined();
    await connect(careful, "chat");
    expect(lastVendorMessages()[1]?.content).not.toContain(secrets.email);
    expect(records.at(-1)?.redactions).toEqual({ email: 2, phone: 1, card: 1, iban: 1 });
  });

  it("redacts on the OpenAI-compatible edge as on the Connect edge", async () => {
    const openai = new OpenAI({ baseURL: `${gateway.url}/v1`, apiKey: plain, maxRetries: 0 });
    await openai.chat.completions.create({ model: "support", messages: [{ role: "user", content: prompt }] });
    expect(lastVendorMessages()[0]?.content).toBe("I am [EMAIL_1] (again: [EMAIL_1]), phone [PHONE_1]; refund card [CARD_1] or IBAN [IBAN_1].");
    expect(records.at(-1)).toMatchObject({ edge: "openai", redactions: { email: 2, card: 1 } });
  });
});
