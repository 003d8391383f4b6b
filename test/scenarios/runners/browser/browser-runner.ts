/**
 * The browser scenario runner: headless Chromium loads the runner page from ./page-server.ts and runs a
 * scenario through connect-web (Connect or gRPC-Web), returning the transcript text, like the Node, Go
 * and Python runners. One browser for the whole suite, a fresh page per scenario.
 */
import type { Browser, Page } from "playwright-core";
import type { Scenario } from "../scenario.js";
import { bundleRunner } from "./bundle-runner.js";
import { launchChromium } from "./chromium.js";
import { startPageServer, type PageServer } from "./page-server.js";
import type { BrowserProtocol } from "./runner-entry.js";

export type { BrowserProtocol } from "./runner-entry.js";

export interface BrowserRunner {
  /** The page's origin; the gateway must list it in `server.cors.allowedOrigins`. */
  readonly origin: string;
  /** Runs `scenario` in a fresh page against the gateway at `gatewayUrl`; returns the transcript text. */
  run(scenario: Scenario, gatewayUrl: string, protocol: BrowserProtocol): Promise<string>;
  /**
   * Runs the resume example (runner-entry.ts) in a fresh page through the relay at `relayUrl`; `cut` is
   * called after `cutAfter` events. Returns what the page saw.
   */
  runResumeExample(relayUrl: string, protocol: BrowserProtocol, model: string, cutAfter: number, cut: () => void): Promise<string>;
  close(): Promise<void>;
}

/** Bundles the runner, starts the page server and launches Chromium. */
export async function startBrowserRunner(): Promise<BrowserRunner> {
  const pageServer: PageServer = await startPageServer(await bundleRunner());
  let browser: Browser;
  try {
    browser = await launchChromium();
  } catch (error) {
    await pageServer.close();
    throw error;
  }
  const pageErrors: string[] = [];

  /** Loads the runner page in a fresh page (with `cut` exposed as `modelgateCut`), runs `body`, closes it. */
  async function inPage(body: (page: Page) => Promise<string>, cut?: () => void): Promise<string> {
    const page = await browser.newPage();
    page.on("pageerror", (error) => pageErrors.push(error.message));
    try {
      if (cut !== undefined) await page.exposeFunction("modelgateCut", cut);
      await page.goto(`${pageServer.origin}/`);
      await page.waitForFunction(() => typeof window.modelgateRunScenario === "function", undefined, { timeout: 10_000 });
      return await body(page);
    } catch (error) {
      if (pageErrors.length > 0) throw new Error(`${String(error)}; page errors: ${pageErrors.join("; ")}`);
      throw error;
    } finally {
      await page.close();
    }
  }

  return {
    origin: pageServer.origin,
    run: (scenario, gatewayUrl, protocol) =>
      inPage(
        (page) =>
          page.evaluate(
            ([scenarioData, url, protocolName]) => {
              const run = window.modelgateRunScenario;
              if (run === undefined) throw new Error("runner bundle not loaded");
              return run(scenarioData, url, protocolName);
            },
            [scenario, gatewayUrl, protocol] as const,
          ),
      ),
    runResumeExample: (relayUrl, protocol, model, cutAfter, cut) =>
      inPage(
        (page) =>
          page.evaluate(
            ([url, protocolName, modelName, after]) => {
              const run = window.modelgateRunResumeExample;
              if (run === undefined) throw new Error("runner bundle not loaded");
              return run(url, protocolName, modelName, after);
            },
            [relayUrl, protocol, model, cutAfter] as const,
          ),
        cut,
      ),
    async close() {
      await browser.close();
      await pageServer.close();
    },
  };
}
