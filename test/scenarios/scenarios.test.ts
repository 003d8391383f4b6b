/**
 * The shared scenario suite: every scenario in ./cases, through every client runner, must produce the
 * expected transcript byte for byte (format: ./README.md). Per scenario and runner, a fresh gateway (so
 * breaker and stats state never leaks between runners) over the vendor simulator programmed with the
 * scenario's rules. Runners: connect-node (Connect and gRPC), grpc-js, connect-go (gRPC), grpc-go, grpcio.
 * The Go and Python runners need `.ci/install-tools.sh` (Go toolchain, .venv); without them this suite
 * fails rather than skipping.
 */
import { execFile } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { startSimulator, type Simulator } from "../../src/simulator/index.js";
import { runConnectNode } from "./runners/node-connect.js";
import { runGrpcJs } from "./runners/node-grpc-js.js";
import { loadScenarios, renderTranscript, SCENARIOS_DIR, type Scenario } from "./runners/scenario.js";
import { startScenarioGateway } from "./runners/scenario-gateway.js";

const execFileAsync = promisify(execFile);
const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const PYTHON = join(ROOT, ".venv", "bin", "python");

interface Runner {
  name: string;
  /** Runs the scenario against the gateway at `url` ("http://127.0.0.1:PORT") and returns the transcript. */
  run(scenario: Scenario, url: string): Promise<string>;
}

let goRunner = "";

async function runProcess(command: string, args: string[]): Promise<string> {
  const { stdout } = await execFileAsync(command, args, { cwd: ROOT, timeout: 20_000, encoding: "utf8" });
  return stdout;
}

const scenarioFile = (scenario: Scenario): string => join(SCENARIOS_DIR, `${scenario.name}.json`);

const RUNNERS: Runner[] = [
  { name: "connect-node (Connect)", run: (scenario, url) => runConnectNode(scenario, url, "connect") },
  { name: "connect-node (gRPC)", run: (scenario, url) => runConnectNode(scenario, url, "grpc") },
  { name: "grpc-js", run: (scenario, url) => runGrpcJs(scenario, new URL(url).host) },
  {
    name: "connect-go (gRPC)",
    run: (scenario, url) => runProcess(goRunner, ["-transport", "connect-grpc", "-url", url, scenarioFile(scenario)]),
  },
  {
    name: "grpc-go",
    run: (scenario, url) => runProcess(goRunner, ["-transport", "grpc-go", "-url", url, scenarioFile(scenario)]),
  },
  {
    name: "grpcio",
    run: (scenario, url) =>
      runProcess(PYTHON, [join(ROOT, "clients/python/scenario_runner.py"), "--target", new URL(url).host, scenarioFile(scenario)]),
  },
];

async function transcriptOf(runner: Runner, scenario: Scenario, simulator: Simulator): Promise<string> {
  const gateway = await startScenarioGateway(scenario, simulator, []);
  try {
    return await runner.run(scenario, gateway.server.url);
  } finally {
    await gateway.close();
  }
}

describe("shared scenarios", () => {
  let simulator: Simulator;
  let buildDir: string;

  beforeAll(async () => {
    expect(existsSync(PYTHON), "run .ci/install-tools.sh to create .venv").toBe(true);
    buildDir = mkdtempSync(join(tmpdir(), "modelgate-scenarios-"));
    goRunner = join(buildDir, "scenario-runner");
    await execFileAsync("go", ["build", "-o", goRunner, "./cmd/scenario-runner"], { cwd: join(ROOT, "clients/go"), timeout: 120_000 });
    simulator = await startSimulator({ port: 0 });
  }, 180_000);

  afterAll(async () => {
    await simulator?.close();
    if (buildDir) rmSync(buildDir, { recursive: true, force: true });
  });

  beforeEach(() => simulator?.reset());

  for (const scenario of loadScenarios()) {
    describe(scenario.name, () => {
      const expected = renderTranscript(scenario.expected);
      for (const runner of RUNNERS) {
        it(`${runner.name} writes the expected transcript`, async () => {
          expect(await transcriptOf(runner, scenario, simulator)).toBe(expected);
        });
      }
    });
  }
});
