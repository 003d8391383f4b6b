/**
 * The idle memory release (src/server/idle-memory-release.ts) in a real gateway started as users start
 * it, through bin/modelgate.mjs and its shebang's flags: a burst of calls grows V8's young generation,
 * and once the gateway has been idle for 5 s (`server.releaseIdleMemoryAfterMs`) it collects it and V8 shrinks it, which the
 * gateway logs at debug. On Node 20 the process's RSS drops with it; Node 22 and 24 keep the freed
 * pages in V8's page pool (docs/benchmarks.md, fourth pass), so RSS is checked on Node 20 only.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { Agent } from "undici";
import { afterAll, describe, expect, it } from "vitest";

const root = path.join(import.meta.dirname, "..", "..");
const directory = mkdtempSync(path.join(os.tmpdir(), "modelgate-idle-memory-"));

function rssMiB(pid: number): number {
  const line = readFileSync(`/proc/${pid}/status`, "utf8").split("\n").find((entry) => entry.startsWith("VmRSS:"));
  return Number(/(\d+)/.exec(line ?? "")?.[1] ?? Number.NaN) / 1024;
}

interface ReleaseLine {
  msg: string;
  youngGenerationMiB: number;
  afterMiB: number;
  pauseMs: number;
}

afterAll(() => rmSync(directory, { recursive: true, force: true }));

describe("the idle memory release", () => {
  it("gives the young generation back once the gateway is idle, and not while it is busy", async () => {
    const configPath = path.join(directory, "modelgate.yaml");
    writeFileSync(
      configPath,
      ["server:", "  port: 0", "  logLevel: debug", "  releaseIdleMemoryAfterMs: 5000", "  playground: false", "providers:", "  echo:", "    kind: echo", "deployments:", "  echo:", "    provider: echo", "    model: echo", ""].join("\n"),
    );
    const child = spawn(path.join(root, "bin", "modelgate.mjs"), ["--config", configPath], { cwd: root, stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    child.stdout.on("data", (data: Buffer) => (output += data.toString("utf8")));
    child.stderr.on("data", (data: Buffer) => (output += data.toString("utf8")));
    const releases = (): ReleaseLine[] =>
      output
        .split("\n")
        .filter((line) => line.includes('"released idle memory"'))
        .map((line) => JSON.parse(line) as ReleaseLine);
    const dispatcher = new Agent({ connections: 8 });
    try {
      const port = await new Promise<number>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`not listening in 20 s:\n${output}`)), 20_000);
        const check = (): void => {
          const match = /"port":(\d+).*"msg":"modelgate listening/.exec(output);
          if (match) {
            clearTimeout(timer);
            resolve(Number(match[1]));
          }
        };
        child.stdout.on("data", check);
        child.once("exit", (code) => reject(new Error(`exited with ${code}:\n${output}`)));
      });

      // 3 s of calls at concurrency 8: the young generation grows to its cap, and the event loop is
      // never idle for long enough to release it.
      const body = JSON.stringify({ model: "echo", messages: [{ role: "ROLE_USER", parts: [{ text: "x ".repeat(200) }] }] });
      const until = Date.now() + 3_000;
      await Promise.all(
        Array.from({ length: 8 }, async () => {
          while (Date.now() < until) {
            const response = await fetch(`http://127.0.0.1:${port}/modelgate.v1.GatewayService/Complete`, {
              method: "POST",
              headers: { "content-type": "application/json" },
              body,
              dispatcher,
            } as RequestInit);
            expect(response.status).toBe(200);
            await response.arrayBuffer();
          }
        }),
      );
      expect(releases()).toEqual([]);
      const busyRss = rssMiB(child.pid as number);

      const deadline = Date.now() + 20_000;
      while (!releases().some((line) => line.afterMiB < line.youngGenerationMiB) && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
      const released = releases().find((line) => line.afterMiB < line.youngGenerationMiB);
      expect(released, output.slice(-2_000)).toBeDefined();
      expect(released?.youngGenerationMiB).toBeGreaterThan(4);
      expect(released?.afterMiB).toBeLessThanOrEqual(4);
      expect(released?.pauseMs).toBeLessThan(50);
      if (process.versions.node.startsWith("20.")) {
        expect(rssMiB(child.pid as number)).toBeLessThan(busyRss - 10);
      }
    } finally {
      await dispatcher.close();
      child.kill("SIGTERM");
    }
  }, 60_000);
});
