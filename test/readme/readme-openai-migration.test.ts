/**
 * The README's "Migrate from the OpenAI SDK" snippets, run exactly as written with tsx (only the
 * gateway's host:port is swapped for the test's port). "Before" talks to OpenAI, played by the vendor
 * simulator's OpenAI wire (through the SDK's own `OPENAI_BASE_URL`); "after" talks to the gateway built
 * from `modelgate.example.yaml`, whose `openai` provider points at the same simulator.
 */
import { execFile } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config/load-config.js";
import type { CompletionEngine } from "../../src/gateway/types.js";
import { createLogger } from "../../src/observability/logger.js";
import { createGatewayEngine } from "../../src/routing/create-gateway-engine.js";
import { createGatewayServer, type GatewayServer } from "../../src/server/create-server.js";
import { startSimulator, type Simulator } from "../../src/simulator/index.js";

const execFileAsync = promisify(execFile);
const root = join(import.meta.dirname, "..", "..");
const readme = readFileSync(join(root, "README.md"), "utf8");
// Inside node_modules, so the snippets' `import OpenAI from "openai"` resolves as in an app.
const scratch = join(root, "node_modules", ".cache", "readme-snippets");

/** The `ts` code blocks of the README section headed `heading`, in order. */
function sectionSnippets(heading: string): string[] {
  const start = readme.indexOf(`\n## ${heading}\n`);
  if (start === -1) return [];
  const end = readme.indexOf("\n## ", start + 1);
  const section = readme.slice(start, end === -1 ? undefined : end);
  return [...section.matchAll(/```ts\n([\s\S]*?)```/g)].map((match) => match[1]);
}

describe("README migration from the OpenAI SDK", () => {
  let sim: Simulator;
  let server: GatewayServer;
  let engine: CompletionEngine;
  const run = async (name: string, code: string, env: Record<string, string>): Promise<string> => {
    mkdirSync(scratch, { recursive: true });
    const file = join(scratch, `${name}.mts`);
    writeFileSync(file, code.replaceAll("127.0.0.1:8080", `127.0.0.1:${server.port}`));
    const { stdout } = await execFileAsync(join(root, "node_modules", ".bin", "tsx"), [file], {
      cwd: root,
      timeout: 30_000,
      encoding: "utf8",
      env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "", ...env },
    });
    return stdout;
  };

  beforeAll(async () => {
    sim = await startSimulator({ port: 0 });
    const logger = createLogger({ level: "silent" });
    const config = loadConfig(join(root, "modelgate.example.yaml"), { OPENAI_API_KEY: "sk-simulated" });
    config.server.port = 0;
    config.providers.openai.baseUrl = sim.baseUrl("openai");
    engine = await createGatewayEngine(config, { logger });
    server = await createGatewayServer({ config, engine, logger });
  });

  afterAll(async () => {
    await server?.close(0);
    await engine?.close();
    await sim?.close();
  });

  it("has a before and an after snippet that differ only in the client line", () => {
    const [before, after] = sectionSnippets("Migrate from the OpenAI SDK");
    expect(before).toBeDefined();
    expect(after).toBeDefined();
    const changed = after.split("\n").filter((line, index) => line !== before.split("\n")[index]);
    expect(changed).toEqual(['const client = new OpenAI({ baseURL: "http://127.0.0.1:8080/v1" });']);
  });

  it("runs the before snippet against OpenAI (the simulator) and the after snippet through the gateway, with the same answer", async () => {
    const [before, after] = sectionSnippets("Migrate from the OpenAI SDK");
    const direct = await run("before", before, { OPENAI_API_KEY: "sk-simulated", OPENAI_BASE_URL: sim.baseUrl("openai") });
    expect(direct.trim()).toBe("You said: Say hello");
    expect(sim.requests).toHaveLength(1);

    const throughGateway = await run("after", after, { OPENAI_API_KEY: "sk-simulated" });
    expect(throughGateway.trim()).toBe("You said: Say hello");
    expect(sim.requests).toHaveLength(2);
    expect(sim.requests[1]).toMatchObject({ vendor: "openai", model: "gpt-4.1-mini" });
  });
});
