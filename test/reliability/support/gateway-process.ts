/**
 * The gateway under test, in a child process of its own: the production bundle (built once per run by
 * global-setup.ts) started with the `modelgate` command's node flags and a config written for the test,
 * listening on 127.0.0.1:0. Its own process, so that its RSS is its own (read from /proc), a frozen event
 * loop freezes only it, and its pino lines (stdout) are the log an operator would read.
 */
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { inject } from "vitest";
import { launcherEnvironment, launcherNodeFlags } from "../../../bench/lib/launcher-flags.js";
import { startProcess, stopProcess, type Started } from "../../../bench/lib/processes.js";
import { outputDirectory } from "./paths.js";

/** One pino line, parsed. */
export type LogLine = Record<string, unknown> & { msg?: string; level?: number };

export interface GatewayProcess {
  readonly pid: number;
  readonly port: number;
  /** "http://127.0.0.1:PORT" */
  readonly url: string;
  /** Every JSON log line so far. */
  readonly logs: readonly LogLine[];
  /** Everything the process wrote so far, stdout and stderr, as text (for leak scans). */
  output(): string;
  /** The "call finished" lines so far. */
  callLines(): LogLine[];
  /** Resident set size now, MiB. */
  rssMiB(): number;
  /** The highest resident set size since the process started (VmHWM), MiB. */
  peakRssMiB(): number;
  /** The process is still running. */
  alive(): boolean;
  /** SIGTERM, then SIGKILL after `graceMs`. */
  stop(graceMs?: number): Promise<void>;
}

function statusKib(pid: number, field: "VmRSS" | "VmHWM"): number {
  try {
    const match = new RegExp(`${field}:\\s+(\\d+) kB`).exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return match === null ? Number.NaN : Number(match[1]);
  } catch {
    return Number.NaN;
  }
}

/** Adds what every battery gateway needs to `config`: the server section on port 0, logs at info, no playground. */
function withServer(config: Record<string, unknown>): Record<string, unknown> {
  const server = (config.server ?? {}) as Record<string, unknown>;
  return { ...config, server: { host: "127.0.0.1", port: 0, logLevel: "info", playground: false, shutdownGraceMs: 0, ...server } };
}

/**
 * Node flags added to the gateway's own, from BATTERY_GATEWAY_NODE_FLAGS (space-separated), e.g.
 * `--cpu-prof --cpu-prof-dir=/tmp/profiles` to profile the gateway under a test's load (NODE_OPTIONS
 * refuses --cpu-prof, and would reach the test process too).
 */
function extraNodeFlags(): string[] {
  return (process.env.BATTERY_GATEWAY_NODE_FLAGS ?? "").split(" ").filter((flag) => flag !== "");
}

let started = 0;

/**
 * Starts the bundle on `config` (every section but `server` is the test's; `server` is merged over the
 * defaults above) and resolves once it listens. `name` labels its log file under test-output/.
 */
export async function startGatewayProcess(name: string, config: Record<string, unknown>, timeoutMs = 20_000): Promise<GatewayProcess> {
  const directory = path.join(outputDirectory, "gateways");
  mkdirSync(directory, { recursive: true });
  const label = `${name}-${process.pid}-${++started}`;
  const configPath = path.join(directory, `${label}.yaml`);
  // JSON is YAML; no value here uses `${...}` interpolation.
  writeFileSync(configPath, JSON.stringify(withServer(config), null, 2));
  const child: Started = startProcess(name, process.execPath, [...launcherNodeFlags(), ...extraNodeFlags(), inject("gatewayBundle"), "serve", "--config", configPath], {
    logPath: path.join(directory, `${label}.log`),
    env: { ...launcherEnvironment(), MODELGATE_LOG_PRETTY: "0" },
  });
  const logs: LogLine[] = [];
  const chunks: string[] = [];
  let partial = "";
  child.child.stdout?.on("data", (data: Buffer) => {
    const text = data.toString("utf8");
    chunks.push(text);
    const lines = (partial + text).split("\n");
    partial = lines.pop() ?? "";
    for (const line of lines) {
      if (line.trim() === "") continue;
      try {
        logs.push(JSON.parse(line) as LogLine);
      } catch {
        logs.push({ msg: line });
      }
    }
  });
  child.child.stderr?.on("data", (data: Buffer) => chunks.push(data.toString("utf8")));

  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`gateway ${name} did not listen in ${timeoutMs} ms:\n${child.tail()}`)), timeoutMs);
    const check = (): void => {
      const listening = logs.find((line) => typeof line.msg === "string" && line.msg.startsWith("modelgate listening"));
      if (listening !== undefined) {
        clearTimeout(timer);
        child.child.stdout?.off("data", check);
        resolve(Number(listening.port));
      }
    };
    child.child.stdout?.on("data", check);
    child.child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`gateway ${name} exited with ${code}:\n${child.tail()}`));
    });
  });
  const pid = child.child.pid ?? -1;

  return {
    pid,
    port,
    url: `http://127.0.0.1:${port}`,
    logs,
    output: () => chunks.join(""),
    callLines: () => logs.filter((line) => line.msg === "call finished"),
    rssMiB: () => statusKib(pid, "VmRSS") / 1024,
    peakRssMiB: () => statusKib(pid, "VmHWM") / 1024,
    alive: () => child.child.exitCode === null && child.child.signalCode === null,
    stop: (graceMs = 3_000) => stopProcess(child, graceMs),
  };
}
