/**
 * The README's curl and grpcurl examples, run exactly as written against the gateway built from
 * `modelgate.example.yaml` with no keys (only the host:port is swapped for the test's port). If the
 * README drifts from what the gateway does, this fails.
 */
import { exec } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config/load-config.js";
import type { CompletionEngine } from "../../src/gateway/types.js";
import { createLogger } from "../../src/observability/logger.js";
import { createGatewayEngine } from "../../src/routing/create-gateway-engine.js";
import { createGatewayServer, type GatewayServer } from "../../src/server/create-server.js";
import { findGrpcurl, grpcurlInstallHint } from "../server/grpcurl.js";

const execAsync = promisify(exec);
const root = join(import.meta.dirname, "..", "..");
const readme = readFileSync(join(root, "README.md"), "utf8");

/** Shell commands in the README that start with `program`, continuation lines joined. */
function readmeCommands(program: string): string[] {
  const commands: string[] = [];
  const lines = readme.split("\n");
  for (let i = 0; i < lines.length; i += 1) {
    if (!lines[i].startsWith(program)) continue;
    let command = lines[i];
    while (command.endsWith("\\") && i + 1 < lines.length) {
      i += 1;
      command = `${command.slice(0, -1)} ${lines[i].trim()}`;
    }
    commands.push(command);
  }
  return commands;
}

describe("README examples", () => {
  let server: GatewayServer;
  let engine: CompletionEngine;
  const run = async (command: string) => {
    const local = command.replaceAll("127.0.0.1:8080", `127.0.0.1:${server.port}`);
    return execAsync(local, { cwd: root, timeout: 20_000, encoding: "utf8" });
  };

  beforeAll(async () => {
    const logger = createLogger({ level: "silent" });
    const config = loadConfig(join(root, "modelgate.example.yaml"), {});
    config.server.port = 0;
    engine = await createGatewayEngine(config, { logger });
    server = await createGatewayServer({ config, engine, logger });
  });

  afterAll(async () => {
    await server?.close(0);
    await engine?.close();
  });

  it("has a curl example and four grpcurl examples", () => {
    expect(readmeCommands("curl ")).toHaveLength(1);
    expect(readmeCommands(".tools/bin/grpcurl ")).toHaveLength(4);
  });

  it("answers the curl Connect JSON example with the echoed text", async () => {
    const { stdout } = await run(readmeCommands("curl ")[0]);
    const body = JSON.parse(stdout) as { text: string; finishReason: string; route: { deployment: string } };
    expect(body).toMatchObject({ text: "hello from curl", finishReason: "FINISH_REASON_STOP", route: { deployment: "echo" } });
  });

  it("answers every grpcurl example through reflection with no proto files", async () => {
    if (findGrpcurl() === undefined || readmeCommands(".tools/bin/grpcurl ").length === 0) throw new Error(grpcurlInstallHint);
    const [list, describeService, complete, stream] = readmeCommands(".tools/bin/grpcurl ");
    expect((await run(list)).stdout.split("\n")).toContain("modelgate.v1.GatewayService");
    expect((await run(describeService)).stdout).toContain("rpc StreamComplete ( .modelgate.v1.StreamCompleteRequest ) returns ( stream .modelgate.v1.StreamCompleteResponse );");
    expect(JSON.parse((await run(complete)).stdout)).toMatchObject({ text: "hi", finishReason: "FINISH_REASON_STOP" });
    const events = (await run(stream)).stdout;
    expect(events).toContain('"start"');
    expect(events).toContain('"text": "stream "');
    expect(events).toContain('"finish"');
  });
});
