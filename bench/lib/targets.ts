/**
 * The systems under test ("gateways": processes) and the targets the scenarios drive (a gateway reached
 * through one protocol). The mock upstream runs on core 1 beside the load generator; every gateway runs
 * on core 0 (`taskset -c 0`), so a gateway's capacity is its capacity on one core. modelgate runs as
 * production does, from its bundle (`dist/modelgate.mjs`, scripts/build.ts), and the null server is
 * bundled the same way (`dist/bench/null-server.mjs`) so the two stay comparable; both are built from the
 * current source once per process, before the first start, and both run with the node flags of the
 * `modelgate` command (launcher-flags.ts).
 */
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { buildGateway, bundleForNode } from "../../scripts/build.js";
import { createConnectH2cClient, createConnectHttp1Client, createGrpcClient, createOpenAIClient, type BenchClient } from "./clients.js";
import { launcherEnvironment, launcherNodeFlags } from "./launcher-flags.js";
import { freePort, startProcess, stopProcess, waitForListening, waitUntilReady, type Started } from "./processes.js";

export const benchDirectory = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
export const repositoryDirectory = path.resolve(benchDirectory, "..");
const tsxLoader = path.join(repositoryDirectory, "node_modules", "tsx", "dist", "loader.mjs");
const nullServerDirectory = path.join(repositoryDirectory, "dist", "bench");
const portkeyStart = path.join(benchDirectory, "peers", "portkey", "node_modules", "@portkey-ai", "gateway", "build", "start-server.js");
const litellmBinary = path.join(benchDirectory, "peers", "litellm", ".venv", "bin", "litellm");

/** The mock models every target is asked for (aliases in modelgate, model_list entries in LiteLLM). */
export const MOCK_MODELS = ["mock-instant", "mock-delay-60", "mock-stream-32-20", "mock-stream-32-0", "mock-stream-8-20", "mock-stream-10-300", "mock-stream-20-100"];

export type GatewayName = "mock" | "modelgate" | "null" | "portkey" | "litellm";

/** A running process under test. */
export interface Gateway {
  name: GatewayName;
  port: number;
  started: Started;
}

/** One way of reaching one gateway. */
export interface Target {
  /** e.g. `modelgate/connect-h2c`. */
  name: string;
  gateway: GatewayName;
  protocol: "openai-http1" | "connect-json-http1" | "connect-json-h2c" | "grpc";
  client: BenchClient;
  /** host:port of a gRPC target, for the grpc-go load generator (bench/lib/grpc-load.ts) in scenario 3. */
  grpcAddress?: string;
}

/** Why a gateway is not part of this run (not installed, or not written yet). */
export function unavailableReason(name: GatewayName): string | undefined {
  if (name === "modelgate" && !existsSync(path.join(repositoryDirectory, "src", "main.ts"))) return "skipped: src/main.ts does not exist yet";
  if (name === "portkey" && !existsSync(portkeyStart)) return "skipped: not installed (run bench/peers/install.sh)";
  if (name === "litellm" && !existsSync(litellmBinary)) return "skipped: not installed (run bench/peers/install.sh)";
  return undefined;
}

/** Starts the mock upstream on core 1. */
export async function startMock(logDirectory: string): Promise<Gateway> {
  const started = startProcess("mock", process.execPath, ["--import", tsxLoader, path.join(benchDirectory, "mock-upstream.ts"), "--port", "0"], {
    core: 1,
    logPath: path.join(logDirectory, "mock.log"),
  });
  return { name: "mock", port: await waitForListening(started, 20_000), started };
}

function renderModelgateConfig(
  mockPort: number,
  port: number,
  directory: string,
  serverSettings: Record<string, number | string | boolean> = {},
  providerSettings: Record<string, number | string | boolean> = {},
  redisUrl?: string,
  extraYaml = "",
): string {
  const template = readFileSync(path.join(benchDirectory, "modelgate.bench.yaml"), "utf8");
  const extraSettings = Object.entries(serverSettings).map(([key, value]) => `  ${key}: ${JSON.stringify(value)}\n`).join("");
  const extraProviderSettings = Object.entries(providerSettings).map(([key, value]) => `    ${key}: ${JSON.stringify(value)}\n`).join("");
  const rendered = template
    .replace("http://127.0.0.1:18181/v1", `http://127.0.0.1:${mockPort}/v1`)
    .replace(/^    apiKey: x\n/m, `    apiKey: x\n${extraProviderSettings}`)
    .replace(/^  port: 18180$/m, `  port: ${port}\n${extraSettings}`.trimEnd());
  const file = path.join(directory, "modelgate.bench.yaml");
  const withRedis = redisUrl === undefined ? rendered : `${rendered.trimEnd()}\nredis:\n  url: ${redisUrl}\n`;
  writeFileSync(file, extraYaml === "" ? withRedis : `${withRedis.trimEnd()}\n${extraYaml}`);
  return file;
}

function renderLitellmConfig(mockPort: number, directory: string): string {
  const lines = ["model_list:"];
  for (const model of MOCK_MODELS) {
    lines.push(`  - model_name: ${model}`, "    litellm_params:", `      model: openai/${model}`, `      api_base: http://127.0.0.1:${mockPort}/v1`, "      api_key: x");
  }
  lines.push("litellm_settings:", "  telemetry: false", "  drop_params: true", "general_settings: {}");
  const file = path.join(directory, "litellm.config.yaml");
  writeFileSync(file, `${lines.join("\n")}\n`);
  return file;
}

let built: Promise<number> | undefined;

/**
 * Builds `dist/modelgate.mjs` and `dist/bench/null-server.mjs` from the current source, once per process
 * (later calls share the first build); resolves with the build time in ms. `startGateway` calls it.
 */
export function buildBundles(): Promise<number> {
  built ??= (async () => {
    const began = performance.now();
    await buildGateway();
    await bundleForNode({ entryPoints: { "null-server": "bench/null-server.ts" }, outdir: nullServerDirectory });
    return performance.now() - began;
  })();
  return built;
}

export interface StartGatewayOptions {
  /** Node flags before the script, after the launcher's, e.g. `--cpu-prof` (modelgate and null only). */
  nodeFlags?: string[];
  /**
   * false starts modelgate and null without the node flags and environment of the `modelgate` command
   * (launcher-flags.ts), which they otherwise get: an A/B of those flags themselves.
   */
  launcherFlags?: boolean;
  /**
   * Run the TypeScript source through tsx instead of the bundle (modelgate and null only): slower to
   * start and ~50 MiB more RSS, but CPU profiles then name each node_modules package and source file.
   */
  fromSource?: boolean;
  /** Run this bundle instead of dist/modelgate.mjs (modelgate only): an A/B baseline built from another commit. */
  bundle?: string;
  /** More `server:` settings for modelgate's bench config, e.g. `{ releaseIdleMemoryAfterMs: 5000 }`. */
  serverSettings?: Record<string, number | string | boolean>;
  /** More settings for modelgate's provider of the mock, e.g. `{ maxConnections: 64 }` (the config's defaults otherwise). */
  providerSettings?: Record<string, number | string | boolean>;
  /** Environment variables for the gateway's process (modelgate and null only), e.g. `{ MALLOC_ARENA_MAX: "2" }`. */
  env?: NodeJS.ProcessEnv;
  /** Share state through this Redis (modelgate only): the `+redis` lane. */
  redisUrl?: string;
  /** Top-level YAML appended to modelgate's bench config (e.g. an `auth` section). */
  extraYaml?: string;
  /** Headers of the readiness probe's calls (e.g. a caller key when `extraYaml` turns auth on). */
  probeHeaders?: Record<string, string>;
}

/**
 * Starts bench/floor-server.ts (node:http -> undici -> mock, nothing else) on core 0, as a `null`
 * gateway: driven with a Connect client it is the floor any gateway needs on this rig.
 */
export async function startFloor(mockPort: number, logDirectory: string): Promise<Gateway> {
  const port = await freePort();
  const started = startProcess("floor", process.execPath, ["--import", tsxLoader, path.join(benchDirectory, "floor-server.ts"), "--mock-port", String(mockPort), "--port", String(port)], {
    core: 0,
    logPath: path.join(logDirectory, "floor.log"),
  });
  await waitForListening(started, 20_000);
  return { name: "null", port, started };
}

/** Starts one gateway on core 0 and waits until it answers a completion through the mock. */
export async function startGateway(name: Exclude<GatewayName, "mock">, mockPort: number, logDirectory: string, options: StartGatewayOptions = {}): Promise<Gateway> {
  const logPath = path.join(logDirectory, `${name}.log`);
  const port = await freePort();
  const nodeFlags = [...(options.launcherFlags === false ? [] : launcherNodeFlags()), ...(options.nodeFlags ?? [])];
  const env = { ...(options.launcherFlags === false ? {} : launcherEnvironment()), ...options.env };
  if ((name === "modelgate" || name === "null") && options.fromSource !== true) await buildBundles();
  let started: Started;
  if (name === "modelgate") {
    const config = renderModelgateConfig(mockPort, port, logDirectory, options.serverSettings, options.providerSettings, options.redisUrl, options.extraYaml);
    const script =
      options.fromSource === true
        ? ["--import", tsxLoader, path.join(repositoryDirectory, "src", "main.ts")]
        : [options.bundle ?? path.join(repositoryDirectory, "dist", "modelgate.mjs")];
    started = startProcess(name, process.execPath, [...nodeFlags, ...script, "--config", config], { core: 0, cwd: repositoryDirectory, logPath, env });
  } else if (name === "null") {
    const script =
      options.fromSource === true ? ["--import", tsxLoader, path.join(benchDirectory, "null-server.ts")] : [path.join(nullServerDirectory, "null-server.mjs")];
    started = startProcess(name, process.execPath, [...nodeFlags, ...script, "--port", String(port)], { core: 0, logPath, env });
  } else if (name === "portkey") {
    started = startProcess(name, process.execPath, [portkeyStart, `--port=${port}`, "--headless"], { core: 0, cwd: path.dirname(portkeyStart), logPath });
  } else {
    const config = renderLitellmConfig(mockPort, logDirectory);
    started = startProcess(name, litellmBinary, ["--config", config, "--host", "127.0.0.1", "--port", String(port), "--num_workers", "1"], {
      core: 0,
      logPath,
      // Use the bundled model price map instead of fetching it at start; no telemetry.
      env: { LITELLM_LOCAL_MODEL_COST_MAP: "True", LITELLM_TELEMETRY: "False", LITELLM_LOG: "ERROR", DISABLE_SCHEMA_UPDATE: "true" },
    });
  }
  const gateway: Gateway = { name, port, started };
  const probe =
    options.probeHeaders === undefined
      ? targetsFor(gateway, mockPort)[0]
      : { client: createConnectHttp1Client(`http://127.0.0.1:${port}`, { headers: options.probeHeaders }) };
  if (probe === undefined) throw new Error(`no target for ${name}`);
  try {
    await waitUntilReady(started, () => probe.client.unary("mock-instant"), name === "litellm" ? 90_000 : 30_000);
  } catch (error) {
    await stopProcess(started);
    throw error;
  } finally {
    await probe.client.close();
  }
  return gateway;
}

/** The targets a gateway offers: modelgate and the null server through three protocols, peers through OpenAI's. */
export function targetsFor(gateway: Gateway, mockPort: number, connections = 128): Target[] {
  const origin = `http://127.0.0.1:${gateway.port}`;
  switch (gateway.name) {
    case "mock":
      return [{ name: "direct", gateway: "mock", protocol: "openai-http1", client: createOpenAIClient(origin, { connections }) }];
    case "portkey":
      return [
        {
          name: "portkey",
          gateway: "portkey",
          protocol: "openai-http1",
          client: createOpenAIClient(origin, {
            connections,
            headers: { "x-portkey-provider": "openai", authorization: "Bearer x", "x-portkey-custom-host": `http://127.0.0.1:${mockPort}/v1` },
          }),
        },
      ];
    case "litellm":
      return [{ name: "litellm", gateway: "litellm", protocol: "openai-http1", client: createOpenAIClient(origin, { connections, headers: { authorization: "Bearer x" } }) }];
    case "modelgate":
    case "null": {
      const grpcAddress = `127.0.0.1:${gateway.port}`;
      return [
        { name: `${gateway.name}/connect-h1`, gateway: gateway.name, protocol: "connect-json-http1", client: createConnectHttp1Client(origin, { connections }) },
        { name: `${gateway.name}/connect-h2c`, gateway: gateway.name, protocol: "connect-json-h2c", client: createConnectH2cClient(origin) },
        { name: `${gateway.name}/grpc`, gateway: gateway.name, protocol: "grpc", client: createGrpcClient(grpcAddress), grpcAddress },
      ];
    }
  }
}
