/**
 * Where the objects that survive scavenges are allocated, inside a running gateway: starts the mock
 * (core 1) and modelgate's bundle (core 0) with `--inspect`, warms up at c=8, then samples allocations
 * over CDP (`HeapProfiler.startSampling` keeping objects a mark-compact collects but not those a
 * scavenge does, i.e. the promoted ones) during one-at-a-time calls, and prints the top allocation
 * stacks by bytes. With `--all`, objects a scavenge collects are kept too: every allocation, the
 * figure to cut when scavenges come too often.
 *
 *   npx tsx bench/gc/promoted-sample.ts [--model mock-instant|echo] [--depth 4] [--all]
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { WebSocket } from "undici";
import { createConnectHttp1Client } from "../lib/clients.js";
import { closedLoop, sequential } from "../lib/load.js";
import { freePort, pinSelf, startProcess, stopProcess } from "../lib/processes.js";
import { buildBundles, repositoryDirectory, startMock } from "../lib/targets.js";
import { argument } from "../lib/cli.js";
import { launcherEnvironment, launcherNodeFlags } from "../lib/launcher-flags.js";

interface ProfileNode {
  callFrame: { functionName: string; url: string; lineNumber: number };
  selfSize: number;
  children: ProfileNode[];
}

const model = argument("model", "mock-instant");
const depth = Number(argument("depth", "4"));
const everything = process.argv.includes("--all");
pinSelf(1);
await buildBundles();
const directory = mkdtempSync(path.join(os.tmpdir(), "modelgate-promoted-"));
const mock = await startMock(directory);
const port = await freePort();
const inspectPort = await freePort();
const config = path.join(directory, "gateway.yaml");
writeFileSync(
  config,
  [
    `server: { host: 127.0.0.1, port: ${port}, logLevel: warn, playground: false }`,
    `providers: { mock: { kind: openai, baseUrl: "http://127.0.0.1:${mock.port}/v1", apiKey: x }, echo: { kind: echo } }`,
    "deployments: { instant: { provider: mock, model: mock-instant }, echo: { provider: echo, model: echo } }",
    "aliases: { mock-instant: { tiers: [[instant]] } }",
    "",
  ].join("\n"),
);
const gateway = startProcess("gateway", process.execPath, [...launcherNodeFlags(), `--inspect=127.0.0.1:${inspectPort}`, path.join(repositoryDirectory, "dist", "modelgate.mjs"), "--config", config], {
  core: 0,
  cwd: repositoryDirectory,
  logPath: path.join(directory, "gateway.log"),
  env: launcherEnvironment(),
});
const client = createConnectHttp1Client(`http://127.0.0.1:${port}`);
try {
  await new Promise((resolve) => setTimeout(resolve, 2_000));
  const targets = (await (await fetch(`http://127.0.0.1:${inspectPort}/json/list`)).json()) as { webSocketDebuggerUrl: string }[];
  const socket = new WebSocket(targets[0]?.webSocketDebuggerUrl ?? "");
  await new Promise((resolve) => socket.addEventListener("open", resolve));
  let nextId = 0;
  const waiting = new Map<number, (result: unknown) => void>();
  socket.addEventListener("message", (event) => {
    const message = JSON.parse(String(event.data)) as { id?: number; result?: unknown };
    if (message.id !== undefined) waiting.get(message.id)?.(message.result);
  });
  const call = (method: string, params: Record<string, unknown> = {}): Promise<unknown> =>
    new Promise((resolve) => {
      nextId += 1;
      waiting.set(nextId, resolve);
      socket.send(JSON.stringify({ id: nextId, method, params }));
    });
  await closedLoop(() => client.unary(model), 8, 3_000);
  await call("HeapProfiler.enable");
  await call("HeapProfiler.startSampling", { samplingInterval: 256, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: everything });
  await sequential(() => client.unary(model), 1_500, 30_000);
  const { profile } = (await call("HeapProfiler.stopSampling")) as { profile: { head: ProfileNode } };
  socket.close();
  const totals = new Map<string, number>();
  const walk = (node: ProfileNode, stack: string[]): void => {
    const frame = `${node.callFrame.functionName || "(anonymous)"} ${node.callFrame.url.replace(/.*\/(dist|node_modules)\//, "$1/")}:${node.callFrame.lineNumber}`;
    const here = [...stack, frame];
    if (node.selfSize > 0) {
      const key = here.slice(-depth).join(" < ");
      totals.set(key, (totals.get(key) ?? 0) + node.selfSize);
    }
    for (const child of node.children) walk(child, here);
  };
  walk(profile.head, []);
  let sum = 0;
  for (const bytes of totals.values()) sum += bytes;
  process.stdout.write(`sampled bytes ${everything ? "allocated" : "that survived a scavenge"}, over 1,500 calls: ${sum} (${(sum / 1_500 / 1_024).toFixed(1)} KiB per call)\n`);
  for (const [key, bytes] of [...totals].sort((a, b) => b[1] - a[1]).slice(0, everything ? 40 : 15)) process.stdout.write(`${String(bytes).padStart(9)}  ${key}\n`);
} finally {
  await client.close();
  await stopProcess(gateway);
  await stopProcess(mock.started);
}
