// temporary: one stream, h1, prints when each content delta arrived
import { createConnectHttp1Client } from "./lib/clients.js";
const c = createConnectHttp1Client(`http://127.0.0.1:${process.argv[2]}`);
for (let i = 0; i < 3; i++) await c.stream("mock-stream-32-0");
await new Promise((r) => setTimeout(r, 300));
const r = await c.stream("mock-stream-32-0");
console.log("first", r.firstContentMs?.toFixed(2), "last", r.deltaTimesMs.at(-1)?.toFixed(2), "total", r.totalMs.toFixed(2));
await c.close(); process.exit(0);
