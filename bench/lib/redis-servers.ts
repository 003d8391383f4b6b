/**
 * Real `redis-server` processes for the shared-state tests and the bench's Redis lane: one node, or a
 * three-node cluster, each on a free loopback port with its files in a temporary directory. `redis-server` comes from Debian
 * (`npm run setup` installs it when missing).
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Redis } from "ioredis";

export interface RedisProcess {
  port: number;
  url: string;
  process: ChildProcess;
  /** SIGKILL (the process dies at once, as on a crash). */
  kill(): Promise<void>;
  /** SIGSTOP / SIGCONT: Redis stops answering but keeps its connections (a hung server). */
  pause(): void;
  resume(): void;
  /** Starts a new process on the same port (after `kill`). */
  restart(): Promise<void>;
}

export interface RedisSetup {
  /** The config's `redis` section for it. */
  config: { url: string } | { clusterNodes: string[] };
  nodes: RedisProcess[];
  stop(): Promise<void>;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => resolve(typeof address === "object" && address !== null ? address.port : 0));
    });
  });
}

async function waitForPing(port: number, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const client = new Redis({ port, host: "127.0.0.1", lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
    client.on("error", () => {});
    try {
      await client.connect();
      if ((await client.ping()) === "PONG") return;
    } catch {
      if (Date.now() > deadline) throw new Error(`redis-server on port ${port} did not answer within ${timeoutMs} ms`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    } finally {
      client.disconnect();
    }
  }
}

async function startNode(directory: string, port: number, extra: string[]): Promise<ChildProcess> {
  const child = spawn(
    "redis-server",
    ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", directory, ...extra],
    { stdio: "ignore" },
  );
  await waitForPing(port);
  return child;
}

async function startProcess(directory: string, extra: (port: number) => string[]): Promise<RedisProcess> {
  const port = await freePort();
  const node: RedisProcess = {
    port,
    url: `redis://127.0.0.1:${port}`,
    process: await startNode(directory, port, extra(port)),
    async kill() {
      if (node.process.exitCode !== null || node.process.signalCode !== null) return;
      const exited = new Promise((resolve) => node.process.once("exit", resolve));
      node.process.kill("SIGKILL");
      await exited;
    },
    pause: () => node.process.kill("SIGSTOP"),
    resume: () => node.process.kill("SIGCONT"),
    async restart() {
      node.process = await startNode(directory, port, extra(port));
    },
  };
  return node;
}

/** One `redis-server`. */
export async function startRedis(): Promise<RedisSetup> {
  const directory = mkdtempSync(join(tmpdir(), "modelgate-redis-"));
  const node = await startProcess(directory, () => []);
  return {
    config: { url: node.url },
    nodes: [node],
    async stop() {
      node.resume();
      await node.kill().catch(() => {});
      rmSync(directory, { recursive: true, force: true });
    },
  };
}

/** Three `redis-server --cluster-enabled yes` masters, slots spread by `redis-cli --cluster create`. */
export async function startRedisCluster(): Promise<RedisSetup> {
  const directory = mkdtempSync(join(tmpdir(), "modelgate-redis-cluster-"));
  const nodes: RedisProcess[] = [];
  for (let index = 0; index < 3; index++) {
    nodes.push(
      await startProcess(directory, (port) => ["--cluster-enabled", "yes", "--cluster-config-file", `nodes-${port}.conf`, "--cluster-node-timeout", "2000"]),
    );
  }
  const created = spawnSync(
    "redis-cli",
    ["--cluster", "create", ...nodes.map((node) => `127.0.0.1:${node.port}`), "--cluster-replicas", "0", "--cluster-yes"],
    { encoding: "utf8", timeout: 30_000 },
  );
  if (created.status !== 0) throw new Error(`redis-cli --cluster create failed: ${created.stdout}${created.stderr}`);
  const deadline = Date.now() + 15_000;
  for (const node of nodes) {
    for (;;) {
      const info = spawnSync("redis-cli", ["-p", String(node.port), "cluster", "info"], { encoding: "utf8" }).stdout;
      if (info.includes("cluster_state:ok")) break;
      if (Date.now() > deadline) throw new Error(`cluster not ok on ${node.port}: ${info}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  return {
    config: { clusterNodes: nodes.map((node) => node.url) },
    nodes,
    async stop() {
      for (const node of nodes) {
        node.resume();
        await node.kill().catch(() => {});
      }
      rmSync(directory, { recursive: true, force: true });
    },
  };
}
