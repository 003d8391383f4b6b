// How much young-generation garbage survives a scavenge when a program makes many objects of one kind.
// Run: node --trace-gc-nvp bench/gc/abort-signal-promotion.mjs <kind> 2>&1 | grep "gc=s" | tail -1
// Kinds: objects (plain objects: the baseline), controller (AbortController.signal), listen (a signal
// plus an abort listener added and removed). On Node 20, "controller" promoted 4.9 MB per scavenge with
// 9 ms pauses where "objects" promoted nothing; on Node 24 neither promotes (docs/benchmarks.md, Garbage).
const kind = process.argv[2] ?? "controller";
let sink;
for (let index = 0; index < 400_000; index++) {
  if (kind === "objects") sink = { index, pair: [index, index], read: () => index };
  else if (kind === "controller") sink = new AbortController().signal;
  else if (kind === "listen") {
    const signal = new AbortController().signal;
    const listener = () => {};
    signal.addEventListener("abort", listener, { once: true });
    signal.removeEventListener("abort", listener);
    sink = signal;
  } else throw new Error(`unknown kind ${kind}`);
  // Yield now and then, as a server does between requests.
  if (index % 100 === 0) await null;
}
void sink;
