// What one garbage collection in an idle process gives back, without the gateway: a 2 s allocation
// burst grows the young generation to its cap, then after each wait one collection runs and the script
// prints the young generation's committed size, the process's RSS, and the collection's pause.
//   node --max-semi-space-size=16 --expose-gc bench/memory/idle-collection.mjs minor minor major last-resort
// Each word is one step, 5.5 s after the previous one (V8 shrinks the young generation only after a
// collection that finds the allocation rate low since the one before); `1s:minor` waits 1 s instead.
// Run it with the Node to compare (e.g. .tools/bin/node24): src/server/idle-memory-release.ts cites it.
import v8 from "node:v8";

if (typeof globalThis.gc !== "function") throw new Error("run node with --expose-gc");
const mib = (bytes) => (bytes / 1048576).toFixed(1);
const youngMiB = () => mib(v8.getHeapSpaceStatistics().find((space) => space.space_name === "new_space").space_size);
const rssMiB = () => mib(process.memoryUsage().rss);

const kept = [];
const began = Date.now();
while (Date.now() - began < 2_000) {
  const batch = [];
  for (let index = 0; index < 10_000; index++) batch.push({ index, text: `x${index}` });
  if (Math.random() < 0.01) kept.push(batch);
}
console.log(`node ${process.version}: after the burst, young generation ${youngMiB()} MiB, RSS ${rssMiB()} MiB`);

const options = { minor: { type: "minor" }, major: { type: "major" }, "last-resort": { type: "major", flavor: "last-resort" } };
for (const step of process.argv.slice(2)) {
  const [wait, kind] = step.includes(":") ? step.split(":") : ["5.5s", step];
  if (options[kind] === undefined) throw new Error(`unknown step ${step}: minor, major or last-resort, optionally after 1s: or 5.5s:`);
  await new Promise((resolve) => setTimeout(resolve, Number.parseFloat(wait) * 1_000));
  const start = performance.now();
  globalThis.gc(options[kind]);
  const pauseMs = performance.now() - start;
  await new Promise((resolve) => setTimeout(resolve, 500));
  console.log(`${kind} after ${wait}: young generation ${youngMiB()} MiB, RSS ${rssMiB()} MiB, pause ${pauseMs.toFixed(2)} ms`);
}
console.log(`(${kept.length} batches kept alive)`);
