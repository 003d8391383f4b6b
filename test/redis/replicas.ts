/**
 * Gateway replicas as real processes (`node --import tsx src/main.ts serve`), each with its own config
 * file and its own log, plus a Connect client for each. For the shared-state suite.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { createClient, type Client } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";
import { stringify } from "yaml";
import { GatewayService } from "../../gen/modelgate/v1/gateway_service_pb.js";

const root = join(import.meta.dirname, "..", "..");

export interface Replica {
  name: string;
  url: string;
  client: Client<typeof GatewayService>;
  configPath: string;
  process: ChildProcess;
  /** Every JSON log line so far. */
  logs: Record<string, unknown>[];
  stop(): Promise<void>;
}

/** Writes `config` as YAML to `path`. */
export function writeConfig(path: string, config: Record<string, unknown>): void {
  writeFileSync(path, stringify(config));
}

/** Starts a replica on `configPath` and resolves once it listens. */
export async function startReplica(name: string, configPath: string, env: NodeJS.ProcessEnv = {}): Promise<Replica> {
  const child = spawn(process.execPath, ["--import", "tsx", "src/main.ts", "serve", "--config", configPath, "--port", "0"], {
    cwd: root,
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const logs: Record<string, unknown>[] = [];
  let stderr = "";
  child.stderr?.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => {
      // Not tracked by anyone yet: stop it here, or it outlives the test.
      child.kill("SIGKILL");
      reject(new Error(`${name} did not start: ${stderr}`));
    }, 30_000);
    let buffered = "";
    child.stdout?.on("data", (chunk: Buffer) => {
      buffered += chunk.toString();
      let newline: number;
      while ((newline = buffered.indexOf("\n")) >= 0) {
        const line = buffered.slice(0, newline);
        buffered = buffered.slice(newline + 1);
        try {
          const parsed = JSON.parse(line) as Record<string, unknown>;
          logs.push(parsed);
          if (typeof parsed.url === "string" && String(parsed.msg).startsWith("modelgate listening")) {
            clearTimeout(timer);
            resolve(parsed.url);
          }
        } catch {
          // not a log line
        }
      }
    });
    child.once("exit", (code) => reject(new Error(`${name} exited with ${code}: ${stderr}`)));
  });
  const client = createClient(GatewayService, createConnectTransport({ baseUrl: url, httpVersion: "1.1" }));
  return {
    name,
    url,
    client,
    configPath,
    process: child,
    logs,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((resolve) => child.once("exit", resolve));
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 5_000);
      await exited;
      clearTimeout(timer);
    },
  };
}
