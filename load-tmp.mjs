import { Pool } from "undici";
const [url, path, model, seconds, conc] = [process.argv[2], process.argv[3], process.argv[4], +process.argv[5], +process.argv[6]];
const gw = path.includes("modelgate");
const body = JSON.stringify(gw ? { model, messages: [{ role: "ROLE_USER", parts: [{ text: "hello" }] }] } : { model, messages: [{ role: "user", content: "hello there" }] });
const pool = new Pool(url, { connections: conc, pipelining: 1 });
let done = 0, errors = 0; const lat = [];
const end = performance.now() + seconds * 1000;
async function worker() { while (performance.now() < end) { const t = performance.now(); try { const r = await pool.request({ path, method: "POST", body, headers: { "content-type": "application/json" } }); await r.body.text(); if (r.statusCode !== 200) errors++; } catch { errors++; } lat.push(performance.now() - t); done++; } }
await Promise.all(Array.from({ length: conc }, worker));
lat.sort((a, b) => a - b);
console.log(`${url}${path} c=${conc}: ${(done / seconds).toFixed(0)} req/s, p50 ${lat[lat.length >> 1].toFixed(2)} ms, p99 ${lat[Math.floor(lat.length * 0.99)].toFixed(2)} ms, errors ${errors}`);
await pool.close();
