/** Starts a gateway server on 127.0.0.1:0 over a fake engine, for the suites in this folder. */
import { configSchema, type GatewayConfig } from "../../src/config/schema.js";
import { createLogger } from "../../src/observability/logger.js";
import { createGatewayServer, type GatewayServer } from "../../src/server/create-server.js";
import { createFakeEngine, type FakeEngine, type FakeEngineOptions } from "./fake-engine.js";

export interface TestServer {
  server: GatewayServer;
  engine: FakeEngine;
  config: GatewayConfig;
}

export async function startTestServer(
  server: Record<string, unknown> = {},
  engineOptions: FakeEngineOptions = {},
): Promise<TestServer> {
  const config = configSchema.parse({
    server: { host: "127.0.0.1", port: 0, logLevel: "silent", ...server },
    providers: { echo: { kind: "echo" } },
    deployments: { echo: { provider: "echo", model: "echo" } },
    aliases: { echo: { tiers: [["echo"]] } },
  });
  const engine = createFakeEngine(engineOptions);
  const logger = createLogger({ level: (process.env.MODELGATE_TEST_LOG_LEVEL as "info" | undefined) ?? "silent" });
  const gateway = await createGatewayServer({ config, engine, logger });
  return { server: gateway, engine, config };
}
