/**
 * `modelgate keys create` against a real server on port 0 with an admin token and a key file (no Redis):
 * the policy flags reach the stored key.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createCallerGateFromConfig } from "../../callers/create-caller-gate.js";
import type { CallerGate } from "../../callers/caller-gate.js";
import { configSchema } from "../../config/schema.js";
import type { CompletionEngine } from "../../gateway/types.js";
import { createLogger } from "../../observability/logger.js";
import { createGatewayEngine } from "../../routing/create-gateway-engine.js";
import { createGatewayServer, type GatewayServer } from "../create-server.js";
import { runKeysCommand } from "./keys-command.js";

const ADMIN_TOKEN = "admin-token-for-the-keys-command-test";

describe("modelgate keys", () => {
  const directory = mkdtempSync(join(tmpdir(), "modelgate-keys-"));
  const keyFile = join(directory, "keys.json");
  let engine: CompletionEngine;
  let callers: CallerGate;
  let server: GatewayServer;
  let env: NodeJS.ProcessEnv;

  beforeAll(async () => {
    const config = configSchema.parse({
      server: { host: "127.0.0.1", port: 0, logLevel: "silent", playground: false, admin: { token: ADMIN_TOKEN } },
      providers: { echo: { kind: "echo" } },
      deployments: { echo: { provider: "echo", model: "echo" } },
      aliases: { chat: { tiers: [["echo"]] } },
      auth: { keyFile },
    });
    const logger = createLogger({ level: "silent" });
    engine = await createGatewayEngine(config, { logger });
    callers = await createCallerGateFromConfig({ auth: () => config.auth, keyFile, logger });
    server = await createGatewayServer({ config, engine, logger, callers });
    env = { MODELGATE_URL: server.url, MODELGATE_ADMIN_TOKEN: ADMIN_TOKEN };
  });

  afterAll(async () => {
    await server?.close(0);
    await callers?.close();
    await engine?.close();
    rmSync(directory, { recursive: true, force: true });
  });

  const capture = () => {
    const out: string[] = [];
    const err: string[] = [];
    return { out, err, output: { out: (text: string) => out.push(text), err: (text: string) => err.push(text) } };
  };

  it("creates a key whose policy redacts PII with --redact-pii", async () => {
    const { out, err, output } = capture();
    expect(await runKeysCommand(["create", "--name", "helpdesk", "--redact-pii", "--rpm", "60"], env, output)).toBe(0);
    expect(err).toEqual([]);
    expect(out[0]).toContain("redact-pii");
    expect(out[0]).toContain("rpm=60");
    const id = out[0].split("\t")[0];
    const stored = JSON.parse(readFileSync(keyFile, "utf8")) as { keys: { id: string; policy: { redactPii?: boolean } }[] };
    expect(stored.keys.find((key) => key.id === id)?.policy.redactPii).toBe(true);

    const listed = capture();
    expect(await runKeysCommand(["list"], env, listed.output)).toBe(0);
    const line = listed.out.find((text) => text.startsWith(id));
    expect(line).toContain("redact-pii");
  });

  it("leaves redaction off without the flag", async () => {
    const { out, output } = capture();
    expect(await runKeysCommand(["create", "--name", "plain", "--rpm", "60"], env, output)).toBe(0);
    expect(out[0]).not.toContain("redact-pii");
  });

  it("refuses a value for --redact-pii", async () => {
    const { err, output } = capture();
    expect(await runKeysCommand(["create", "--redact-pii=yes"], env, output)).toBe(2);
    expect(err.join("")).toContain("--redact-pii takes no value");
  });
});
