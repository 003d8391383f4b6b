/**
 * Child processes for a benchmark: start pinned to a core, wait until ready, measure the RSS of the
 * process tree, stop. Only processes this harness started are ever signalled, by their own pid.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { createWriteStream, readdirSync, readFileSync } from "node:fs";
import net from "node:net";
import { setTimeout as sleep } from "node:timers/promises";

/** Whether `taskset` works here (it does on Linux with util-linux). */
export const canPin = spawnSync("taskset", ["-c", "0", "true"]).status === 0;

/** Pins this process (all its threads) to a core; a no-op without taskset. */
export function pinSelf(core: number): void {
  pinProcess(process.pid, core);
}

/** Pins a running process (all its threads) to a core; a no-op without taskset. */
export function pinProcess(pid: number | undefined, core: number): void {
  if (canPin && pid !== undefined) spawnSync("taskset", ["-a", "-cp", String(core), String(pid)], { stdio: "ignore" });
}

/** A free TCP port on 127.0.0.1 (bound and released; fine for a benchmark rig). */
export async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === "string") throw new Error("no port");
  return address.port;
}

/** A started child process and its log. */
export interface Started {
  name: string;
  child: ChildProcess;
  logPath: string;
  /** The last lines of its output, for error messages. */
  tail: () => string;
}

/** Spawns `command` pinned to `core`, with output going to `logPath`. */
export function startProcess(name: string, command: string, args: string[], options: { core?: number; cwd?: string; logPath: string; env?: NodeJS.ProcessEnv }): Started {
  const pinned = options.core !== undefined && canPin;
  const child = spawn(pinned ? "taskset" : command, pinned ? ["-c", String(options.core), command, ...args] : args, {
    cwd: options.cwd,
    env: { ...process.env, ...options.env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const log = createWriteStream(options.logPath);
  let recent = "";
  const keep = (data: Buffer): void => {
    recent = (recent + data.toString("utf8")).slice(-4_000);
  };
  child.stdout?.on("data", keep);
  child.stderr?.on("data", keep);
  child.stdout?.pipe(log);
  child.stderr?.pipe(log);
  return { name, child, logPath: options.logPath, tail: () => recent };
}

/** Resolves with the port a child prints as `listening <port>`. */
export function waitForListening(started: Started, timeoutMs: number): Promise<number> {
  return new Promise((resolve, reject) => {
    let seen = "";
    const timer = setTimeout(() => reject(new Error(`${started.name} did not start in ${timeoutMs} ms:\n${started.tail()}`)), timeoutMs);
    started.child.stdout?.on("data", (data: Buffer) => {
      seen += data.toString("utf8");
      const match = /listening (\d+)/.exec(seen);
      if (match) {
        clearTimeout(timer);
        resolve(Number(match[1]));
      }
    });
    started.child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`${started.name} exited with ${code}:\n${started.tail()}`));
    });
  });
}

/** Retries `probe` until it resolves, the child exits, or the timeout passes. */
export async function waitUntilReady(started: Started, probe: () => Promise<unknown>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    if (started.child.exitCode !== null) throw new Error(`${started.name} exited with ${started.child.exitCode}:\n${started.tail()}`);
    try {
      await probe();
      return;
    } catch (error) {
      last = error;
      await sleep(200);
    }
  }
  throw new Error(`${started.name} not ready in ${timeoutMs} ms (${String(last)}):\n${started.tail()}`);
}

/** Stops a child this harness started: SIGTERM, then SIGKILL after a grace period. */
export async function stopProcess(started: Started, graceMs = 3_000): Promise<void> {
  const { child } = started;
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  child.kill("SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), graceMs);
  await exited;
  clearTimeout(timer);
}

function parentOf(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return Number(fields[1]);
  } catch {
    return undefined;
  }
}

function rssKibOf(pid: number): number {
  try {
    const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return match ? Number(match[1]) : 0;
  } catch {
    return 0;
  }
}

/** RSS in MiB of a process and all its descendants (Linux /proc); NaN elsewhere. */
export function treeRssMiB(rootPid: number | undefined): number {
  if (rootPid === undefined) return Number.NaN;
  let pids: number[];
  try {
    pids = readdirSync("/proc").filter((entry) => /^\d+$/.test(entry)).map(Number);
  } catch {
    return Number.NaN;
  }
  const children = new Map<number, number[]>();
  for (const pid of pids) {
    const parent = parentOf(pid);
    if (parent !== undefined) children.set(parent, [...(children.get(parent) ?? []), pid]);
  }
  let total = 0;
  const stack = [rootPid];
  while (stack.length > 0) {
    const pid = stack.pop() as number;
    total += rssKibOf(pid);
    stack.push(...(children.get(pid) ?? []));
  }
  return total / 1024;
}

/** Samples the tree RSS every intervalMs until stopped; returns the peak seen. */
export function sampleRss(rootPid: number | undefined, intervalMs = 100): { stop: () => number } {
  let peak = treeRssMiB(rootPid);
  const timer = setInterval(() => {
    const now = treeRssMiB(rootPid);
    if (now > peak) peak = now;
  }, intervalMs);
  return {
    stop: () => {
      clearInterval(timer);
      return Math.max(peak, treeRssMiB(rootPid));
    },
  };
}
