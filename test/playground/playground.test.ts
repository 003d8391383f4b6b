/**
 * The playground end to end: simulator, engine and gateway server with the playground route, the page
 * opened in headless Chromium, a prompt sent through the UI. The alias's first tier fails once, so the
 * page has a fallback, two attempts, tokens and a cost to show. Leaves test-output/playground.png behind
 * for a look. A second server over the same engine has `auth` on: the page is refused until a caller key
 * is typed in, answered with it, and refused again once the key is forgotten. Without Chromium it skips
 * locally and fails on CI.
 */
import { mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { generateCallerKey, hashCallerKey } from "../../src/callers/caller-key.js";
import { createCallerGateFromConfig } from "../../src/callers/create-caller-gate.js";
import type { CallerGate } from "../../src/callers/caller-gate.js";
import { authSchema, configSchema } from "../../src/config/schema.js";
import type { CompletionEngine } from "../../src/gateway/types.js";
import { createLogger } from "../../src/observability/logger.js";
import { createPlaygroundRoute } from "../../src/playground/playground-route.js";
import { createGatewayEngine } from "../../src/routing/create-gateway-engine.js";
import { createGatewayServer, type GatewayServer } from "../../src/server/create-server.js";
import { startSimulator, type Simulator } from "../../src/simulator/index.js";
import { launchChromium, maySkipWithoutChromium } from "../scenarios/runners/browser/chromium.js";

const OUTPUT_DIR = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "test-output");
const REPLY = "Tiers are tried in order; this answer came from the second one.";
const CALLER_KEY = generateCallerKey();

describe.skipIf(maySkipWithoutChromium())("playground", () => {
  let simulator: Simulator;
  let engine: CompletionEngine;
  let server: GatewayServer;
  let securedCallers: CallerGate;
  let secured: GatewayServer;
  let browser: Browser;

  beforeAll(async () => {
    simulator = await startSimulator({ port: 0 });
    simulator.program({ vendor: "openai", model: "sim-gpt", behavior: { fault: { kind: "status", status: 503 } }, times: 1 });
    simulator.program({
      vendor: "anthropic",
      model: "sim-claude",
      behavior: { text: REPLY, usage: { inputTokens: 14, outputTokens: 13 }, tokenIntervalMs: 20 },
    });
    const config = configSchema.parse({
      server: { host: "127.0.0.1", port: 0, logLevel: process.env.MODELGATE_LOG_LEVEL ?? "silent", playground: true },
      providers: {
        "sim-openai": { kind: "openai", baseUrl: simulator.baseUrl("openai"), apiKey: "sim-key" },
        "sim-anthropic": { kind: "anthropic", baseUrl: simulator.baseUrl("anthropic"), apiKey: "sim-key" },
      },
      deployments: {
        "gpt-sim": { provider: "sim-openai", model: "sim-gpt" },
        "claude-sim": {
          provider: "sim-anthropic",
          model: "sim-claude",
          price: { inputNanoUsd: 3000, outputNanoUsd: 15000, asOf: "2025-01-01" },
        },
      },
      aliases: { chat: { tiers: [["gpt-sim"], ["claude-sim"]] }, direct: { tiers: [["claude-sim"]] } },
      routing: { retry: { maxRetriesPerDeployment: 0 } },
    });
    const logger = createLogger({ level: config.server.logLevel });
    engine = await createGatewayEngine(config, { logger });
    server = await createGatewayServer({
      config,
      engine,
      logger,
      extraRoutes: config.server.playground ? createPlaygroundRoute({ logger }) : undefined,
    });
    const auth = authSchema.parse({ keys: [{ id: "playground", sha256: hashCallerKey(CALLER_KEY), policy: { aliases: ["direct"] } }] });
    securedCallers = await createCallerGateFromConfig({ auth: () => auth, logger });
    secured = await createGatewayServer({ config: { ...config, auth }, engine, logger, callers: securedCallers, extraRoutes: createPlaygroundRoute({ logger }) });
    browser = await launchChromium();
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await secured?.close();
    await securedCallers?.close();
    await server?.close();
    await engine?.close();
    await simulator?.close();
  });

  it("streams an answer and shows the deployment, attempts, tokens and cost", async () => {
    const page = await browser.newPage({ viewport: { width: 1000, height: 860 } });
    const pageErrors: string[] = [];
    page.on("pageerror", (error) => pageErrors.push(error.message));
    try {
      await page.goto(`${server.url}/playground`);
      await page.locator("#model option[value=chat]").waitFor({ state: "attached" });
      await page.selectOption("#model", "chat");
      await page.fill("#prompt", "Which tier answered?");
      await page.click("#send");

      await page.locator("#output", { hasText: REPLY }).waitFor({ timeout: 10_000 });
      await page.locator('#status[data-state="done"]').waitFor({ timeout: 10_000 });

      expect(await page.textContent("#output")).toBe(REPLY);
      expect(await page.getAttribute("#served-by", "data-deployment")).toBe("claude-sim");
      expect(await page.textContent("#notices")).toContain("fell back from gpt-sim to claude-sim");
      const outcomes = await page.locator("#attempts tbody tr td:nth-child(4)").allTextContents();
      expect(outcomes).toEqual(["FAILED", "SUCCEEDED"]);
      const usage = await page.textContent("#usage");
      expect(usage).toContain("14");
      expect(usage).toContain("$0.000237"); // 14 x 3000 + 13 x 15000 nano-USD = 237 micro-USD
      expect(pageErrors).toEqual([]);

      mkdirSync(OUTPUT_DIR, { recursive: true });
      await page.screenshot({ path: join(OUTPUT_DIR, "playground.png"), fullPage: true });
    } finally {
      await page.close();
    }
  });

  it("is refused without a caller key when the gateway checks keys, and answered with one", async () => {
    const page = await browser.newPage({ viewport: { width: 1000, height: 860 } });
    const pageErrors: string[] = [];
    page.on("pageerror", (error) => pageErrors.push(error.message));
    try {
      await page.goto(`${secured.url}/playground`);
      await page.locator('#connection[data-needs-key="true"]').waitFor({ timeout: 10_000 });
      expect(await page.textContent("#connection")).toContain("unauthenticated");
      expect(await page.isDisabled("#send")).toBe(true);

      await page.fill("#key", CALLER_KEY);
      await page.click("#key-form button");
      expect(await page.textContent("#key-state")).toBe("key set for this tab");
      await page.locator("#model option[value=direct]").waitFor({ state: "attached" });
      await page.selectOption("#model", "direct");
      await page.fill("#prompt", "Who is calling?");
      await page.click("#send");
      await page.locator('#status[data-state="done"]').waitFor({ timeout: 10_000 });
      expect(await page.textContent("#output")).toBe(REPLY);
      expect(await page.getAttribute("#served-by", "data-deployment")).toBe("claude-sim");
      // The key stays in the tab, never in the page's markup.
      expect(await page.inputValue("#key")).toBe("");
      expect(await page.evaluate(() => sessionStorage.getItem("modelgate-playground-key"))).toBe(CALLER_KEY);

      // An empty key forgets it: the next call goes without one and is refused.
      await page.click("#key-form button");
      expect(await page.textContent("#key-state")).toBe("no key");
      await page.locator('#connection[data-needs-key="true"]').waitFor({ timeout: 10_000 });
      await page.click("#send");
      await page.locator('#status[data-state="failed"]').waitFor({ timeout: 10_000 });
      expect(await page.textContent("#error")).toContain("Unauthenticated");
      expect(pageErrors).toEqual([]);
    } finally {
      await page.close();
    }
  });
});
