/**
 * The shared scenario suite in headless Chromium: every scenario in ./cases over connect-web's Connect and
 * gRPC-Web transports must write the expected transcript byte for byte, like every other runner
 * (scenarios.test.ts). The page is served from its own origin, so every call is a real cross-origin
 * request through the gateway's CORS. Without Chromium the suite skips locally and fails on CI.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { startSimulator, type Simulator } from "../../src/simulator/index.js";
import { startBrowserRunner, type BrowserProtocol, type BrowserRunner } from "./runners/browser/browser-runner.js";
import { maySkipWithoutChromium } from "./runners/browser/chromium.js";
import { configSchema } from "../../src/config/schema.js";
import { startScenarioGateway, startTestGateway } from "./runners/scenario-gateway.js";
import { startTcpFaultProxy } from "../support/tcp-fault-proxy.js";
import { loadScenarios, renderTranscript, type Scenario } from "./runners/scenario.js";

const PROTOCOLS: { name: string; protocol: BrowserProtocol }[] = [
  { name: "connect-web (Connect)", protocol: "connect-web" },
  { name: "connect-web (gRPC-Web)", protocol: "grpc-web" },
];

describe.skipIf(maySkipWithoutChromium())(`browser scenarios (Chromium)`, () => {
  let simulator: Simulator;
  let runner: BrowserRunner;

  beforeAll(async () => {
    simulator = await startSimulator({ port: 0 });
    runner = await startBrowserRunner(); // throws a clear message when Chromium is missing (CI)
  }, 60_000);

  afterAll(async () => {
    await runner?.close();
    await simulator?.close();
  });

  beforeEach(() => simulator?.reset());

  async function transcriptOf(scenario: Scenario, protocol: BrowserProtocol, allowedOrigins: readonly string[]): Promise<string> {
    const gateway = await startScenarioGateway(scenario, simulator, allowedOrigins);
    try {
      return await runner.run(scenario, gateway.server.url, protocol);
    } finally {
      await gateway.close();
    }
  }

  for (const scenario of loadScenarios()) {
    describe(scenario.name, () => {
      const expected = renderTranscript(scenario.expected);
      for (const { name, protocol } of PROTOCOLS) {
        it(`${name} writes the expected transcript`, async () => {
          expect(await transcriptOf(scenario, protocol, [runner.origin])).toBe(expected);
        });
      }
    });
  }

  describe("resume example", () => {
    for (const { name, protocol } of PROTOCOLS) {
      it(`${name}: resumableStream survives the connection cut after 3 events, each event once`, async () => {
        const gateway = await startTestGateway(
          configSchema.parse({
            server: { host: "127.0.0.1", port: 0, logLevel: process.env.MODELGATE_LOG_LEVEL ?? "silent", cors: { allowedOrigins: [runner.origin] } },
            providers: { echo: { kind: "echo", allowAnyModel: true } },
            deployments: { echo: { provider: "echo", model: "echo" } },
            aliases: { echo: { tiers: [["echo"]] } },
            replay: { keepDetachedRunsMs: 10_000 },
          }),
        );
        const relay = await startTcpFaultProxy({ port: Number(new URL(gateway.server.url).port) });
        try {
          const seen = await runner.runResumeExample(`http://127.0.0.1:${relay.port}`, protocol, "echo/echo-100ms", 3, () => relay.cutAll());
          const [before, notice, after] = seen.split("\n");
          expect(notice).toMatch(/^\[connection dropped \(\w+\); resuming after position 3\]$/);
          expect(before + after).toBe("[echo/echo-100ms] one two three four five six seven eight [10 events]");
        } finally {
          await relay.close();
          await gateway.close();
        }
      });
    }
  });

  describe("cors", () => {
    const [plainText] = loadScenarios().filter((scenario) => scenario.name === "plain-text");
    for (const { name, protocol } of PROTOCOLS) {
      it(`${name} is blocked by the browser when the page's origin is not allowed`, async () => {
        const transcript = await transcriptOf(plainText, protocol, ["https://elsewhere.example"]);
        expect(transcript).not.toContain('"type":"start"');
        expect(transcript).toMatch(/^\{"code":"[a-z_]+","type":"error"\}\n$/);
      });
    }
  });
});
