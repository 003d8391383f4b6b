/**
 * The grpc-go load generator (bench/grpc-load) for the gRPC targets of scenario 3, and of scenarios 1
 * and 2 (one call or stream at a time). The @grpc/grpc-js client saturates its own core near 1,500
 * calls/s, below the gRPC capacity target, and adds more to one call than the gateway does, so for those
 * rows a Go binary sends the calls instead. It is built once per process into bench/grpc-load/.bin (gitignored)
 * and run pinned to core 1, where the Node load generator runs, so the rig's layout does not change.
 */
import { execFile, spawn, spawnSync } from "node:child_process";
import path from "node:path";
import { promisify } from "node:util";
import type { StreamResult } from "./clients.js";
import type { LoadResult } from "./load.js";
import { canPin } from "./processes.js";
import { benchDirectory } from "./targets.js";

const execFileAsync = promisify(execFile);
const sourceDirectory = path.join(benchDirectory, "grpc-load");
// Not under dist/: every gateway build empties dist/ (scripts/build.ts), and would take the binary with it.
const binary = path.join(sourceDirectory, ".bin", "grpc-load");

let available: boolean | undefined;

/** Whether `go` is on PATH; without it the harness keeps the grpc-js client. */
export function grpcGoAvailable(): boolean {
  available ??= spawnSync("go", ["version"], { stdio: "ignore" }).status === 0;
  return available;
}

let built: Promise<string> | undefined;

/** Builds the binary from the current source, once per process (later calls share the first build). */
export function buildGrpcLoad(): Promise<string> {
  built ??= execFileAsync("go", ["build", "-buildvcs=false", "-o", binary, "."], { cwd: sourceDirectory, timeout: 300_000 }).then(
    () => binary,
    (error: unknown) => {
      built = undefined;
      throw new Error(`go build of bench/grpc-load failed: ${error instanceof Error ? error.message : String(error)}`);
    },
  );
  return built;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null;
}

/** A number field; null is how the binary writes NaN (no successful call, so no percentile). */
function numberField(record: Record<string, unknown>, name: string): number {
  const value = record[name];
  if (value === null) return Number.NaN;
  if (typeof value !== "number") throw new Error(`grpc-load: ${name} is not a number`);
  return value;
}

/** Reads the binary's one JSON line into a LoadResult. */
export function parseGrpcLoadOutput(stdout: string): LoadResult {
  const line = stdout.trim().split("\n").pop() ?? "";
  const parsed: unknown = JSON.parse(line);
  if (!isRecord(parsed)) throw new Error(`grpc-load printed ${line.slice(0, 200)}`);
  const firstError = parsed.firstError;
  return {
    requests: numberField(parsed, "requests"),
    errors: numberField(parsed, "errors"),
    ...(typeof firstError === "string" ? { firstError } : {}),
    durationMs: numberField(parsed, "durationMs"),
    requestsPerSecond: numberField(parsed, "requestsPerSecond"),
    p50Ms: numberField(parsed, "p50Ms"),
    p99Ms: numberField(parsed, "p99Ms"),
  };
}

/**
 * closedLoop (bench/lib/load.ts) with grpc-go: `concurrency` workers over one HTTP/2 connection, as the
 * grpc-js client uses, sending Complete for `model` to `address` (host:port) for durationMs.
 */
export function closedLoopGrpcGo(address: string, concurrency: number, durationMs: number, model: string): Promise<LoadResult> {
  return runGrpcLoad(["-address", address, "-concurrency", String(concurrency), "-duration", `${Math.round(durationMs)}ms`, "-model", model], durationMs).then(
    (stdout) => parseGrpcLoadOutput(stdout),
  );
}

/**
 * sequential (bench/lib/load.ts) with grpc-go: `count` calls one at a time, within timeLimitMs; returns
 * every latency in ms (sorted). Errors throw, as they do there: a latency run must be clean. Scenario 1
 * uses it for the gRPC rows so that their "added" latency is the gateway's, not the grpc-js client's
 * (which adds ~0.65 ms p50 by itself: the null/grpc row in the 2026-12-01 run).
 */
export async function sequentialGrpcGo(address: string, count: number, timeLimitMs: number, model: string): Promise<number[]> {
  const args = ["-address", address, "-concurrency", "1", "-requests", String(count), "-raw", "-duration", `${Math.round(timeLimitMs)}ms`, "-model", model];
  const stdout = await runGrpcLoad(args, timeLimitMs);
  const result = parseGrpcLoadOutput(stdout);
  if (result.errors > 0) throw new Error(`grpc-load: ${result.errors} of ${result.requests} calls failed, first: ${result.firstError ?? "?"}`);
  const parsed = JSON.parse(stdout.trim().split("\n").pop() ?? "") as { latenciesMs?: unknown };
  const latencies = Array.isArray(parsed.latenciesMs) ? parsed.latenciesMs.filter((value): value is number => typeof value === "number") : [];
  if (latencies.length !== result.requests) throw new Error(`grpc-load: ${result.requests} calls but ${latencies.length} latencies`);
  return latencies;
}

/** A batch of streams sent one at a time: the results of those that ended OK, and the failures. */
export interface StreamBatch {
  results: StreamResult[];
  errors: number;
  firstError?: string;
}

/**
 * `count` StreamComplete calls for `model`, one at a time, with grpc-go (`-streams`), within timeLimitMs.
 * Scenario 2 uses it for the gRPC rows for the reason scenario 1 does: the grpc-js client's own cost per
 * stream and per message would count as the gateway's time to first token.
 */
export async function sequentialStreamsGrpcGo(address: string, count: number, timeLimitMs: number, model: string): Promise<StreamBatch> {
  const args = ["-address", address, "-streams", String(count), "-duration", `${Math.round(timeLimitMs)}ms`, "-model", model];
  const stdout = await runGrpcLoad(args, timeLimitMs);
  const line = stdout.trim().split("\n").pop() ?? "";
  const parsed: unknown = JSON.parse(line);
  if (!isRecord(parsed) || !Array.isArray(parsed.streams)) throw new Error(`grpc-load printed ${line.slice(0, 200)}`);
  const results = parsed.streams.map((stream: unknown): StreamResult => {
    if (!isRecord(stream) || !Array.isArray(stream.deltaTimesMs)) throw new Error(`grpc-load printed a stream without deltaTimesMs: ${line.slice(0, 200)}`);
    const deltaTimesMs = stream.deltaTimesMs.filter((value): value is number => typeof value === "number");
    return { firstContentMs: typeof stream.firstContentMs === "number" ? stream.firstContentMs : undefined, deltaTimesMs, totalMs: numberField(stream, "totalMs") };
  });
  const firstError = parsed.firstError;
  return { results, errors: numberField(parsed, "errors"), ...(typeof firstError === "string" ? { firstError } : {}) };
}

/** Runs the binary pinned to core 1 with `args`; resolves with its stdout. */
async function runGrpcLoad(args: string[], durationMs: number): Promise<string> {
  const command = await buildGrpcLoad();
  const child = spawn(canPin ? "taskset" : command, canPin ? ["-c", "1", command, ...args] : args, { stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (data: Buffer) => {
    stdout += data.toString("utf8");
  });
  child.stderr.on("data", (data: Buffer) => {
    stderr = (stderr + data.toString("utf8")).slice(-4_000);
  });
  // The binary abandons calls 10 s after the window; past that it is stuck, and this is our own child.
  const timer = setTimeout(() => child.kill("SIGKILL"), durationMs + 30_000);
  const code = await new Promise<number | null>((resolve, reject) => {
    child.once("error", reject);
    child.once("close", resolve);
  }).finally(() => clearTimeout(timer));
  if (code !== 0) throw new Error(`grpc-load exited with ${code}: ${stderr.trim()}`);
  return stdout;
}
