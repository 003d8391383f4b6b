/**
 * A separate process that calls grpc.health.v1.Health/Check on the gateway every `intervalMs` over its
 * own HTTP/2 connection (gRPC, as a load balancer would) and prints one line per call: `<ms> <ok 1|0>`.
 * Its own process, so that the load a test generates in the test process cannot delay the probe and be
 * mistaken for the gateway's latency. Runs until SIGTERM.
 *
 * Usage: node --import tsx health-prober.ts <gateway url> <interval ms> <timeout ms>
 */
import { createClient } from "@connectrpc/connect";
import { Health, HealthCheckResponse_ServingStatus as Status } from "../../../gen/health/v1/health_pb.js";
import { transportFor } from "../../server/clients.js";

const [url, intervalText = "20", timeoutText = "2000"] = process.argv.slice(2);
if (url === undefined) {
  process.stderr.write("usage: health-prober.ts <gateway url> [interval ms] [timeout ms]\n");
  process.exit(2);
}
const intervalMs = Number(intervalText);
const timeoutMs = Number(timeoutText);
const health = createClient(Health, transportFor("grpc-h2c", url));
let running = true;
process.on("SIGTERM", () => {
  running = false;
});

while (running) {
  const began = performance.now();
  let ok = false;
  try {
    ok = (await health.check({ service: "" }, { timeoutMs })).status === Status.SERVING;
  } catch {
    ok = false;
  }
  const latencyMs = performance.now() - began;
  process.stdout.write(`${latencyMs.toFixed(3)} ${ok ? 1 : 0}\n`);
  const wait = intervalMs - latencyMs;
  if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
}
process.exit(0);
