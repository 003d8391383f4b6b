/**
 * Splits a stream's added time to first token into its two halves, for optimisation work:
 * - setup: the client sending the call until the upstream receives its request;
 * - delta path: the upstream writing its first content delta until the client has it.
 * Scenario 2 of `npm run bench` measures only their sum. The upstream here runs in this process (so
 * both ends read one clock): it answers at once with a role-only chunk, waits `--gap-ms`, sends one
 * content delta, then finishes. `direct` (the client to this upstream, no gateway) is the floor of both
 * halves; each modelgate target's figures are printed with what they add to it.
 *
 * With `--baseline <bundle.mjs>` (built from another commit: `npx tsx scripts/build.ts --outdir DIR` in
 * a worktree of it) a second gateway runs that bundle and the rounds alternate between the two, so
 * machine noise hits both alike. Both run with the node flags of the `modelgate` command
 * (bench/lib/launcher-flags.ts); `--bare-baseline` starts the baseline without them.
 *
 * With `--floor`, bench/floor-server.ts (node:http -> undici -> upstream, SSE split and relayed as
 * Connect envelopes, nothing else) runs as `floor/connect-h1`: what any out-of-process gateway adds to
 * both halves on this rig, two more processes' wake-ups included.
 *
 *   npx tsx bench/ttft-split.ts [--targets modelgate/connect-h1,modelgate/grpc] [--streams 200] [--rounds 3]
 *                               [--gap-ms 10] [--baseline path/to/modelgate.mjs] [--bare-baseline] [--floor]
 */
import http from "node:http";
import { mkdtempSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { argument } from "./lib/cli.js";
import { createConnectHttp1Client, createOpenAIClient, type BenchClient } from "./lib/clients.js";
import { pinSelf, stopProcess } from "./lib/processes.js";
import { percentile } from "./lib/stats.js";
import { startFloor, startGateway, targetsFor, type Gateway } from "./lib/targets.js";

const wanted = argument("targets", "modelgate/connect-h1,modelgate/connect-h2c,modelgate/grpc").split(",");
const streams = Number(argument("streams", "200"));
const rounds = Number(argument("rounds", "3"));
const gapMs = Number(argument("gap-ms", "10"));
const baselineBundle = argument("baseline", "");
const model = "mock-stream-32-20"; // any streaming alias of the bench config; this upstream ignores the model

/** When the upstream last received a request and last wrote its first content delta (performance.now()). */
const upstreamMarks = { arrivedAt: 0, deltaWrittenAt: 0 };

function chunk(model: string, delta: Record<string, unknown>, finishReason: string | null = null): string {
  return `data: ${JSON.stringify({ id: "split", object: "chat.completion.chunk", created: 1, model, choices: [{ index: 0, delta, finish_reason: finishReason }] })}\n\n`;
}

const upstream = http.createServer((request, response) => {
  upstreamMarks.arrivedAt = performance.now();
  const body: Buffer[] = [];
  request.on("data", (data: Buffer) => body.push(data));
  request.on("end", () => {
    const { model: asked, stream } = JSON.parse(Buffer.concat(body).toString("utf8")) as { model: string; stream?: boolean };
    if (stream !== true) {
      // The harness's readiness probe is a unary call.
      response.writeHead(200, { "content-type": "application/json" });
      response.end(JSON.stringify({ id: "split", object: "chat.completion", created: 1, model: asked, choices: [{ index: 0, message: { role: "assistant", content: "ok" }, finish_reason: "stop" }], usage: { prompt_tokens: 3, completion_tokens: 1, total_tokens: 4 } }));
      return;
    }
    response.writeHead(200, { "content-type": "text/event-stream" });
    response.write(chunk(asked, { role: "assistant", content: "" }));
    setTimeout(() => {
      response.write(chunk(asked, { content: "Hello" }));
      upstreamMarks.deltaWrittenAt = performance.now();
      setTimeout(() => {
        response.write(chunk(asked, {}, "stop"));
        response.write(`data: ${JSON.stringify({ id: "split", object: "chat.completion.chunk", created: 1, model: asked, choices: [], usage: { prompt_tokens: 3, completion_tokens: 1, total_tokens: 4 } })}\n\n`);
        response.end("data: [DONE]\n\n");
      }, 2);
    }, gapMs);
  });
});

interface Split {
  setup: number[];
  delta: number[];
}

async function measure(client: BenchClient, split: Split): Promise<void> {
  for (let index = 0; index < streams; index += 1) {
    const sent = performance.now();
    const result = await client.stream(model);
    if (result.firstContentMs === undefined) throw new Error("a stream ended without content");
    split.setup.push(upstreamMarks.arrivedAt - sent);
    split.delta.push(sent + result.firstContentMs - upstreamMarks.deltaWrittenAt);
  }
}

pinSelf(1);
await new Promise<void>((resolve) => upstream.listen(0, "127.0.0.1", resolve));
const upstreamPort = (upstream.address() as { port: number }).port;
const directory = mkdtempSync(path.join(os.tmpdir(), "modelgate-ttft-split-"));
const gateways: { label: string; gateway: Gateway }[] = [{ label: "current", gateway: await startGateway("modelgate", upstreamPort, directory) }];
if (baselineBundle !== "") {
  gateways.push({ label: "baseline", gateway: await startGateway("modelgate", upstreamPort, mkdtempSync(path.join(os.tmpdir(), "modelgate-ttft-split-")), { bundle: baselineBundle, launcherFlags: !process.argv.includes("--bare-baseline") }) });
}
const direct = createOpenAIClient(`http://127.0.0.1:${upstreamPort}`, { connections: 8 });
const runs = gateways.flatMap(({ label, gateway }) =>
  targetsFor(gateway, upstreamPort)
    .filter((target) => wanted.includes(target.name))
    .map((target) => ({ name: gateways.length > 1 ? `${target.name} (${label})` : target.name, client: target.client })),
);
const floor = process.argv.includes("--floor") ? await startFloor(upstreamPort, directory) : undefined;
if (floor !== undefined) runs.push({ name: "floor/connect-h1", client: createConnectHttp1Client(`http://127.0.0.1:${floor.port}`) });
const all = [{ name: "direct", client: direct }, ...runs];
const splits = new Map(all.map((run) => [run.name, { setup: [], delta: [] } as Split]));

// Warm-up: JIT and connection pools, as the bench's warm-up does.
for (const run of all) for (let index = 0; index < 300; index += 1) await run.client.stream(model);
for (let round = 0; round < rounds; round += 1) {
  for (const run of all) await measure(run.client, splits.get(run.name) as Split);
}

const directSplit = splits.get("direct") as Split;
const floorSetup = percentile(directSplit.setup, 50);
const floorDelta = percentile(directSplit.delta, 50);
const ms = (value: number): string => value.toFixed(3).padStart(7);
console.log(`gap ${gapMs} ms, ${streams} streams x ${rounds} rounds per target; p50 in ms`);
console.log(`${"target".padEnd(34)}  setup  added  delta  added  total added`);
for (const run of all) {
  const split = splits.get(run.name) as Split;
  const setup = percentile(split.setup, 50);
  const delta = percentile(split.delta, 50);
  const added = run.name === "direct" ? "      –" : ms(setup - floorSetup + delta - floorDelta);
  console.log(`${run.name.padEnd(34)}${ms(setup)}${run.name === "direct" ? "      –" : ms(setup - floorSetup)}${ms(delta)}${run.name === "direct" ? "      –" : ms(delta - floorDelta)}  ${added}`);
}

for (const run of all) await run.client.close();
for (const { gateway } of gateways) await stopProcess(gateway.started);
if (floor !== undefined) await stopProcess(floor.started);
upstream.close();
