/**
 * Minimal reproduction: connect-es 2.1.2 answers a request whose binary protobuf cannot be decoded
 * (truncated field, invalid UTF-8 in a string) with INTERNAL, where connect-go and grpc-go answer
 * INVALID_ARGUMENT. The JSON path already answers INVALID_ARGUMENT. Run: npx tsx docs/repro/connect-binary-parse-code.ts
 */
import { connectNodeAdapter } from "@connectrpc/connect-node";
import http from "node:http";
import { GatewayService } from "../../gen/modelgate/v1/gateway_service_pb.js";

// The null service: the request fails while connect decodes it, before any implementation runs.
const server = http.createServer(connectNodeAdapter({ routes: (router) => router.service(GatewayService, {}) }));
server.listen(0, "127.0.0.1", async () => {
  const { port } = server.address() as { port: number };
  const cases: [string, Uint8Array][] = [
    ["truncated field", new Uint8Array([0x0a, 0x10, 0x61])], // field 1, length 16, one byte present
    ["invalid UTF-8", new Uint8Array([0x0a, 0x02, 0xc3, 0x28])], // field 1 (model), bytes C3 28
  ];
  for (const [name, body] of cases) {
    const response = await fetch(`http://127.0.0.1:${port}/modelgate.v1.GatewayService/Complete`, {
      method: "POST",
      headers: { "content-type": "application/proto" },
      body,
    });
    console.log(`${name}: HTTP ${response.status} ${await response.text()}`);
  }
  server.close();
});
