import { it } from "vitest";
import { status as GrpcStatus } from "@grpc/grpc-js";
import { startSimulator } from "../../src/simulator/index.js";
import { startGateway, userText } from "./harness.js";

it("scratch", async () => {
  const sim = await startSimulator({ port: 0 });
  const g = await startGateway({
    providers: { p: { kind: "openai", baseUrl: sim.baseUrl("openai"), apiKey: "k" } },
    deployments: { d: { provider: "p", model: "m" } },
    aliases: { chat: { tiers: [["d"]] } },
  });
  await g.client.deploymentStats([]);
  sim.program({ behavior: { fault: { kind: "stall-after", events: 0 } } });
  const codes: Record<string, number> = {};
  for (const concurrency of [1, 8, 32]) {
    for (let round = 0; round < 8; round++) {
      const outs = await Promise.all(Array.from({ length: concurrency }, (_, i) => i % 2 === 0
        ? g.client.stream({ model: "chat", messages: [userText("hi")] }, { metadata: { "grpc-timeout": "300m" } })
        : g.client.complete({ model: "chat", messages: [userText("hi")] }, { metadata: { "grpc-timeout": "300m" } })));
      for (const o of outs) {
        const key = `${concurrency}:${"events" in o ? "stream" : "unary"}:${GrpcStatus[o.status.code]}:${o.status.message}`;
        codes[key] = (codes[key] ?? 0) + 1;
      }
    }
  }
  console.log(codes);
  await g.close();
  await sim.close();
}, 60_000);
