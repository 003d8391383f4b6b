// temporary (removed before hand-back): TTFT through each client. args: gatewayPort grpcPort mockPort n
import { createConnectHttp1Client, createGrpcClient, createConnectH2cClient, createOpenAIClient } from "./lib/clients.js";
const [gw, gp, mp, n = "20"] = process.argv.slice(2);
const keepAlive = setInterval(() => undefined, 1000);
const clients = { direct: createOpenAIClient(`http://127.0.0.1:${mp}`), h1: createConnectHttp1Client(`http://127.0.0.1:${gw}`), h2c: createConnectH2cClient(`http://127.0.0.1:${gw}`), grpc: createGrpcClient(`127.0.0.1:${gw}`), grpcjs: createGrpcClient(`127.0.0.1:${gp}`) };
for (const model of ["mock-stream-32-0", "mock-stream-32-20"]) {
  for (const [name, c] of Object.entries(clients)) {
    const t: number[] = []; let total = 0;
    for (let i = 0; i < Number(n); i++) { const r = await c.stream(model); if (i >= 2) { t.push(r.firstContentMs!); total += r.deltaTimesMs.length; } }
    t.sort((a, b) => a - b);
    console.log(model.padEnd(18), name.padEnd(7), "ttft p50", t[Math.floor(t.length / 2)].toFixed(2), "min", t[0].toFixed(2), "deltas/stream", total / t.length);
  }
}
for (const c of Object.values(clients)) await c.close();
process.exit(0);
