// TEMPORARY (deleted before hand-off): a stand-in for src/server/create-server.ts to exercise the runners.
import http2 from "node:http2";
import { connectNodeAdapter } from "@connectrpc/connect-node";
import type { GatewayConfig } from "../../../src/config/schema.js";
import type { Logger } from "pino";
import { createGatewayServiceImpl } from "../../../src/server/gateway-service.js";
import { GatewayService } from "../../../gen/modelgate/v1/gateway_service_pb.js";
import type { CompletionEngine } from "../../../src/gateway/types.js";

export async function createGatewayServer(o: { config: GatewayConfig; engine: CompletionEngine; logger: Logger }) {
  const impl = createGatewayServiceImpl(o.engine, { config: o.config.server, logger: o.logger });
  const handler = connectNodeAdapter({ routes: (router) => router.service(GatewayService, impl) });
  const server = http2.createServer({ allowHTTP1: true }, handler);
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const port = (server.address() as { port: number }).port;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () => new Promise<void>((r) => { server.close(() => r()); (server as unknown as { closeAllConnections?: () => void }); setTimeout(r, 200); }),
  };
}
