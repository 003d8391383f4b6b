// temporary (removed before hand-back): closed-loop load through a bench client. args: kind addr secs conc
import { createConnectHttp1Client, createGrpcClient, createConnectH2cClient } from "./lib/clients.js";
const [kind, addr, secs = "8", conc = "32"] = process.argv.slice(2);
const client = kind === "grpc" ? createGrpcClient(addr) : kind === "h2c" ? createConnectH2cClient(`http://${addr}`) : createConnectHttp1Client(`http://${addr}`, { connections: Number(conc) });
async function run(ms: number) {
  const lat: number[] = []; let err = 0; const end = Date.now() + ms;
  await Promise.all(Array.from({ length: Number(conc) }, async () => {
    while (Date.now() < end) { const t = performance.now(); try { await client.unary("mock-instant"); } catch { err++; } lat.push(performance.now() - t); }
  }));
  lat.sort((a, b) => a - b);
  return { rps: Math.round(lat.length / (ms / 1000)), err, p50: lat[Math.floor(lat.length / 2)]?.toFixed(2), p99: lat[Math.floor(lat.length * 0.99)]?.toFixed(2) };
}
import { readFileSync } from "node:fs";
const pid = readFileSync("/tmp/perf/gw.pid", "utf8").trim();
const cpu = (): number => { const f = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1].split(" "); return (Number(f[11]) + Number(f[12])) * 10; };
await run(2000);
const c0 = cpu(); const r = await run(Number(secs) * 1000); const used = cpu() - c0;
console.log(kind, addr, `c=${conc}`, JSON.stringify(r), "gateway cpu µs/req", Math.round((used * 1000) / (r.rps * Number(secs))));
await client.close(); process.exit(0);
