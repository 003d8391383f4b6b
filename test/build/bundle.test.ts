/**
 * The production bundle (scripts/build.ts) as a real process: built into a scratch folder inside the
 * checkout, it serves `modelgate.example.yaml`, answers the `echo` model and, through the bundled undici
 * Pool, the `chat` alias from an OpenAI provider pointed at the vendor simulator, which itself runs from
 * the bundle and replays a recorded fixture from ../shared. It also serves the playground, whose sources
 * stay in src/. So every path that used to be relative to a source file is exercised from dist.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildGateway } from "../../scripts/build.js";

const root = path.join(import.meta.dirname, "..", "..");
// Inside the checkout (so the package root is found by walking up) but not dist/, which a benchmark run
// may be rebuilding at the same time.
const outdir = path.join(root, "test-output", `bundle-${process.pid}`);
const fixture = JSON.parse(readFileSync(path.join(root, "..", "shared", "fixtures", "providers", "openai", "chat-nonstream-text.json"), "utf8")) as {
  choices: { message: { content: string } }[];
};

interface Running {
  child: ChildProcess;
  output: () => string;
}

/** Starts `node <bundle> ...args` and resolves once its stdout matches `ready`, with the match. */
function startBundle(entry: string, args: string[], ready: RegExp, env: NodeJS.ProcessEnv = {}): Promise<{ running: Running; match: RegExpExecArray }> {
  const child = spawn(process.execPath, [entry, ...args], { cwd: root, env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  const running = { child, output: () => output };
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`not ready in 10 s:\n${output}`)), 10_000);
    child.stderr?.on("data", (data: Buffer) => (output += data.toString("utf8")));
    child.stdout?.on("data", (data: Buffer) => {
      output += data.toString("utf8");
      const match = ready.exec(output);
      if (match) {
        clearTimeout(timer);
        resolve({ running, match });
      }
    });
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`exited with ${code}:\n${output}`));
    });
  });
}

async function stop(running: Running | undefined): Promise<void> {
  if (running === undefined || running.child.exitCode !== null) return;
  const exited = new Promise((resolve) => running.child.once("exit", resolve));
  running.child.kill("SIGTERM");
  await exited;
}

async function complete(origin: string, model: string, text: string): Promise<{ status: number; body: { text?: string; route?: { deployment?: string } } }> {
  const response = await fetch(`${origin}/modelgate.v1.GatewayService/Complete`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ model, messages: [{ role: "ROLE_USER", parts: [{ text }] }] }),
  });
  return { status: response.status, body: (await response.json()) as { text?: string } };
}

describe("the production bundle", () => {
  let simulator: Running | undefined;
  let gateway: Running | undefined;
  let origin = "";

  beforeAll(async () => {
    const entry = await buildGateway(outdir);
    const rules = path.join(outdir, "rules.json");
    writeFileSync(rules, JSON.stringify([{ vendor: "openai", behavior: { fixture: "openai/chat-nonstream-text.json" } }]));
    const sim = await startBundle(entry, ["simulate", "--port", "0", "--rules", rules], /listening on (http:\/\/\S+)/);
    simulator = sim.running;

    // The example config as it is, on free ports and with its OpenAI provider pointed at the simulator.
    const config = readFileSync(path.join(root, "modelgate.example.yaml"), "utf8")
      .replace(/^  port: 8080 /m, "  port: 0 ")
      .replace("baseUrl: https://api.openai.com/v1", `baseUrl: ${sim.match[1]}/v1`);
    const configPath = path.join(outdir, "modelgate.yaml");
    writeFileSync(configPath, config);
    const started = await startBundle(entry, ["--config", configPath], /"port":(\d+).*"msg":"modelgate listening \(gRPC, gRPC-Web, Connect\)"/, {
      OPENAI_API_KEY: "sk-test",
      ANTHROPIC_API_KEY: "",
      GEMINI_API_KEY: "",
    });
    gateway = started.running;
    origin = `http://127.0.0.1:${started.match[1]}`;
  }, 30_000);

  afterAll(async () => {
    await stop(gateway);
    await stop(simulator);
    rmSync(outdir, { recursive: true, force: true });
  });

  it("answers the echo model", async () => {
    const { status, body } = await complete(origin, "echo", "hello from the bundle");
    expect(status).toBe(200);
    expect(body.text).toBe("hello from the bundle");
  });

  it("reaches an OpenAI upstream through the bundled undici Pool, and the bundled simulator replays the fixture", async () => {
    const { status, body } = await complete(origin, "chat", "hi");
    expect(status, JSON.stringify(body)).toBe(200);
    expect(body.text).toBe(fixture.choices[0].message.content);
    expect(body.route?.deployment).toBe("gpt-4.1-mini");
  });

  it("serves the playground, bundled at run time from src/playground", async () => {
    const response = await fetch(`${origin}/playground/playground.js`);
    expect(response.status, gateway?.output()).toBe(200);
    expect(response.headers.get("content-type")).toContain("javascript");
    expect((await response.text()).length).toBeGreaterThan(10_000);
  });
});
