/**
 * A fresh gateway for one scenario, shared by every suite that runs the scenarios: the simulator
 * programmed with the scenario's rules, host 127.0.0.1, port 0, and the given CORS origins (the browser
 * runner's page origin; none for the other runners). The engine is wrapped in the replay layer as in
 * `src/main.ts` (runs in memory), so request ids and stream resumes behave as in a served gateway.
 */
import { configSchema, type GatewayConfig } from "../../../src/config/schema.js";
import { createLogger } from "../../../src/observability/logger.js";
import { createReplayLayer } from "../../../src/replay/create-replay-layer.js";
import { createGatewayEngine } from "../../../src/routing/create-gateway-engine.js";
import { createGatewayServer, type GatewayServer } from "../../../src/server/create-server.js";
import type { Simulator, Vendor } from "../../../src/simulator/index.js";
import { createStateStore } from "../../../src/state/create-state-store.js";
import type { Scenario } from "./scenario.js";

/** The scenario's config fragment with `{{simulator:<vendor>}}` replaced and the given CORS origins. */
export function scenarioGatewayConfig(scenario: Scenario, simulator: Simulator, allowedOrigins: readonly string[]): GatewayConfig {
  const text = JSON.stringify(scenario.gateway).replace(/\{\{simulator:(\w+)\}\}/g, (_, vendor: string) =>
    simulator.baseUrl(vendor as Vendor),
  );
  const fragment = JSON.parse(text) as Record<string, unknown>;
  const server = {
    ...(fragment.server as Record<string, unknown> | undefined),
    host: "127.0.0.1",
    port: 0,
    logLevel: process.env.MODELGATE_LOG_LEVEL ?? "silent",
    cors: { allowedOrigins: [...allowedOrigins] },
  };
  return configSchema.parse({ ...fragment, server });
}

/** Resets and programs the simulator, then starts engine and server; `close()` stops both. */
export async function startScenarioGateway(
  scenario: Scenario,
  simulator: Simulator,
  allowedOrigins: readonly string[],
): Promise<TestGateway> {
  simulator.reset();
  for (const rule of scenario.simulator) simulator.program(rule as Parameters<Simulator["program"]>[0]);
  return startTestGateway(scenarioGatewayConfig(scenario, simulator, allowedOrigins));
}

export interface TestGateway {
  server: GatewayServer;
  close(): Promise<void>;
}

/** A gateway for `config`: engine, replay layer (runs in memory) and server; `close()` stops them. */
export async function startTestGateway(config: GatewayConfig): Promise<TestGateway> {
  const logger = createLogger({ level: config.server.logLevel });
  const state = await createStateStore(config, logger);
  const engine = await createReplayLayer({
    engine: await createGatewayEngine(config, { logger, store: state.store }),
    config,
    current: () => config,
    state,
    logger,
  });
  const server = await createGatewayServer({ config, engine, logger });
  return {
    server,
    async close() {
      await server.close();
      await engine.close();
      await state.close();
    },
  };
}
