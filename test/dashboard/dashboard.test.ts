/**
 * The dashboard end to end: the vendor simulator, the engine (with the fallback log around it, as
 * src/main.ts wires it), the gateway server with the `/dashboard` route, and the page in headless
 * Chromium watching over Connect-Web while traffic runs. An outage (the simulator answers 503 for
 * gpt-sim) opens gpt-sim's breaker and the page shows it open, with fallbacks to claude-sim; after
 * recovery the page shows the breaker closed again. Leaves test-output/dashboard-outage.png and
 * test-output/dashboard.png behind for a look. Without Chromium it skips locally and fails on CI.
 */
import { createClient } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";
import { mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Role } from "../../gen/modelgate/v1/content_pb.js";
import { GatewayService } from "../../gen/modelgate/v1/gateway_service_pb.js";
import { configSchema } from "../../src/config/schema.js";
import { aliasSplits } from "../../src/dashboard/alias-splits.js";
import { createDashboardRoute } from "../../src/dashboard/dashboard-route.js";
import { createFallbackLog } from "../../src/dashboard/fallback-log.js";
import { createCallRecorder } from "../../src/observability/call-recorder.js";
import { createHealthMonitor } from "../../src/dashboard/health-monitor.js";
import type { CompletionEngine } from "../../src/gateway/types.js";
import { createLogger } from "../../src/observability/logger.js";
import { createGatewayEngine } from "../../src/routing/create-gateway-engine.js";
import { createGatewayServer, type GatewayServer } from "../../src/server/create-server.js";
import { startSimulator, type SimBehavior, type Simulator } from "../../src/simulator/index.js";
import { launchChromium, maySkipWithoutChromium } from "../scenarios/runners/browser/chromium.js";

const OUTPUT_DIR = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "test-output");
const HEALTHY: SimBehavior = {
  text: "The gateway routes around failures.",
  usage: { inputTokens: 12, outputTokens: 7 },
  firstTokenDelayMs: 15,
  tokenIntervalMs: 4,
};

describe.skipIf(maySkipWithoutChromium())("dashboard", () => {
  let simulator: Simulator;
  let engine: CompletionEngine;
  let server: GatewayServer;
  let browser: Browser;
  let traffic: { stop(): Promise<void> } | undefined;

  beforeAll(async () => {
    simulator = await startSimulator({ port: 0 });
    simulator.setDefault(HEALTHY);
    const price = { inputNanoUsd: 2_500, outputNanoUsd: 10_000, asOf: "2025-01-01" };
    const config = configSchema.parse({
      server: { host: "127.0.0.1", port: 0, logLevel: process.env.MODELGATE_LOG_LEVEL ?? "silent", dashboard: true },
      providers: {
        "sim-openai": { kind: "openai", baseUrl: simulator.baseUrl("openai"), apiKey: "sim-key" },
        "sim-anthropic": { kind: "anthropic", baseUrl: simulator.baseUrl("anthropic"), apiKey: "sim-key" },
      },
      deployments: {
        "gpt-sim": { provider: "sim-openai", model: "sim-gpt", price },
        "gpt-sim-canary": { provider: "sim-openai", model: "sim-gpt-next", price, weight: 1 },
        "claude-sim": { provider: "sim-anthropic", model: "sim-claude", price: { inputNanoUsd: 3_000, outputNanoUsd: 15_000, asOf: "2025-01-01" } },
        "claude-shadow": { provider: "sim-anthropic", model: "sim-claude-next" },
      },
      aliases: {
        chat: { tiers: [["gpt-sim"], ["claude-sim"]], shadow: { deployment: "claude-shadow", share: 0.3 } },
        canary: { strategy: "weighted", tiers: [["gpt-sim", "gpt-sim-canary"], ["claude-sim"]], weights: { "gpt-sim": 9, "gpt-sim-canary": 1 } },
      },
      routing: {
        retry: { maxRetriesPerDeployment: 0 },
        breaker: { windowMs: 5_000, minimumRequests: 4, consecutiveFailures: 3, openMs: 1_500, maxOpenMs: 3_000 },
      },
    });
    const logger = createLogger({ level: config.server.logLevel });
    const fallbacks = createFallbackLog();
    engine = await createGatewayEngine(config, { logger });
    const healthMonitor = createHealthMonitor({ engine, aliases: () => aliasSplits(config), fallbacks, logger });
    const recorder = createCallRecorder({ logger, fallbacks });
    server = await createGatewayServer({ config, engine, logger, healthMonitor, recorder, extraRoutes: createDashboardRoute({ logger }) });
    browser = await launchChromium();
  }, 60_000);

  afterAll(async () => {
    await traffic?.stop();
    await browser?.close();
    await server?.close();
    await engine?.close();
    await simulator?.close();
  });

  /** Requests to both aliases, a few at a time, until stopped; failures are expected during the outage. */
  function startTraffic(): { stop(): Promise<void> } {
    const client = createClient(GatewayService, createConnectTransport({ baseUrl: server.url, httpVersion: "1.1" }));
    let running = true;
    const worker = async (model: string, pauseMs: number): Promise<void> => {
      while (running) {
        const request = { model, messages: [{ role: Role.USER, parts: [{ part: { case: "text" as const, value: "How do you stay up?" } }] }] };
        const call = model === "chat" ? client.complete(request) : drain(client.streamComplete(request));
        await call.catch(() => undefined);
        await new Promise((resolve) => setTimeout(resolve, pauseMs));
      }
    };
    const workers = [worker("chat", 40), worker("chat", 70), worker("canary", 50)];
    return {
      async stop() {
        running = false;
        await Promise.all(workers);
      },
    };
  }

  async function breakerOf(page: Page, deployment: string): Promise<string | null> {
    return page.getAttribute(`article.card[data-deployment="${deployment}"] .breaker`, "data-state");
  }

  it("shows live health, an outage's breaker opening with fallbacks, and its recovery", async () => {
    const page = await browser.newPage({ viewport: { width: 1400, height: 1500 } });
    const pageErrors: string[] = [];
    page.on("pageerror", (error) => pageErrors.push(error.message));
    page.on("console", (message) => {
      // The browser's own /favicon.ico request is not the page's.
      if (message.type() === "error" && !message.location().url.endsWith("/favicon.ico")) pageErrors.push(message.text());
    });
    try {
      traffic = startTraffic();
      await page.goto(`${server.url}/dashboard`);
      await page.locator('#connection[data-state="live"]').waitFor({ timeout: 15_000 });
      const gptBreaker = page.locator('article.card[data-deployment="gpt-sim"] .breaker');
      await page.locator('article.card[data-deployment="gpt-sim"] .breaker[data-state="closed"]').waitFor({ timeout: 10_000 });
      // Traffic shows up as a rate and a cost per request.
      await page.waitForFunction(() => {
        const rate = document.querySelector('article.card[data-deployment="gpt-sim"] [data-kpi="rps"]')?.textContent ?? "–";
        return rate !== "–" && rate !== "0";
      }, undefined, { timeout: 10_000 });
      expect(await page.textContent('article.card[data-deployment="gpt-sim"] [data-kpi="cost"]')).toMatch(/^\$/);
      expect(await page.locator(".u-wrap canvas").count()).toBeGreaterThanOrEqual(9);
      expect(await page.textContent('.alias[data-alias="canary"]')).toContain("gpt-sim 90%");
      expect(await page.textContent('.alias[data-alias="chat"]')).toContain("shadow → claude-shadow");
      await page.waitForTimeout(3_000);

      // The outage: every gpt-sim call fails with 503 until it is over.
      simulator.program({ vendor: "openai", model: "sim-gpt", behavior: { fault: { kind: "status", status: 503 } } });
      await page.locator('article.card[data-deployment="gpt-sim"] .breaker[data-state="open"]').waitFor({ timeout: 15_000 });
      expect(await page.getAttribute('article.card[data-deployment="gpt-sim"]', "data-tone")).toBe("bad");
      await page.locator("#fallback-list li", { hasText: "gpt-sim" }).first().waitFor({ timeout: 10_000 });
      expect(await page.textContent("#fallback-list")).toContain("claude-sim");
      expect(await page.textContent("#fallback-list")).toContain("provider unavailable");
      expect(await page.textContent('[data-tile="open"] strong')).not.toBe("0");
      mkdirSync(OUTPUT_DIR, { recursive: true });
      await page.screenshot({ path: join(OUTPUT_DIR, "dashboard-outage.png"), fullPage: true });
      await page.waitForTimeout(3_000);

      // Recovery: the simulator answers again; a half-open probe succeeds and the breaker closes.
      simulator.reset();
      simulator.setDefault(HEALTHY);
      await page.locator('article.card[data-deployment="gpt-sim"] .breaker[data-state="closed"]').waitFor({ timeout: 20_000 });
      expect(await breakerOf(page, "gpt-sim")).toBe("closed");
      expect(await gptBreaker.textContent()).toBe("closed");
      await page.waitForTimeout(3_000);
      await page.screenshot({ path: join(OUTPUT_DIR, "dashboard.png"), fullPage: true });
      expect(pageErrors).toEqual([]);
    } finally {
      await traffic?.stop();
      traffic = undefined;
      await page.close();
    }
  }, 90_000);
});

async function drain(stream: AsyncIterable<unknown>): Promise<void> {
  for await (const _ of stream) {
    // Each event is read and dropped: the dashboard only needs the traffic.
  }
}
