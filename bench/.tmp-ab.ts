// temporary (removed before hand-back): A/B gateway CPU per request, alternating rounds. args: kind rounds conc pidA portA pidB portB
import { readFileSync } from "node:fs";
import { createConnectHttp1Client, createGrpcClient } from "./lib/clients.js";
const [kind, rounds, conc, pidA, portA, pidB, portB] = process.argv.slice(2);
const mk = (port: string) => (kind === "grpc" ? createGrpcClient(`127.0.0.1:${port}`) : createConnectHttp1Client(`http://127.0.0.1:${port}`, { connections: Number(conc) }));
const sides = [{ name: "A", pid: pidA, client: mk(portA), cpu: 0, n: 0, lat: [] as number[] }, { name: "B", pid: pidB, client: mk(portB), cpu: 0, n: 0, lat: [] as number[] }];
const cpu = (pid: string): number => { const f = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1].split(" "); return (Number(f[11]) + Number(f[12])) * 10; };
async function run(side: (typeof sides)[0], ms: number, record: boolean) {
  const end = Date.now() + ms; let n = 0; const c0 = cpu(side.pid);
  await Promise.all(Array.from({ length: Number(conc) }, async () => { while (Date.now() < end) { const t = performance.now(); await side.client.unary("mock-instant"); n++; if (record) side.lat.push(performance.now() - t); } }));
  if (record) { side.cpu += cpu(side.pid) - c0; side.n += n; }
}
for (const s of sides) await run(s, 2000, false);
for (let i = 0; i < Number(rounds); i++) for (const s of i % 2 ? [...sides].reverse() : sides) await run(s, 1000, true);
for (const s of sides) { s.lat.sort((a, b) => a - b); console.log(kind, `c=${conc}`, s.name, "req", s.n, "cpu µs/req", Math.round((s.cpu * 1000) / s.n), "p50", s.lat[s.lat.length >> 1].toFixed(2)); await s.client.close(); }
process.exit(0);
