/**
 * The clients' resume examples, run as written against a real gateway: each streams through a loopback
 * relay of its own, cuts the connection after the third event, and its client's resume helper
 * (clients/go/resume, clients/python/modelgate_client/resume.py, clients/node/resumable-stream.ts)
 * finishes the stream, each event once. The gateway keeps detached runs (`replay.keepDetachedRunsMs`)
 * and serves the built-in echo provider with 100 ms between words. Like scenarios.test.ts, the Go and
 * Python examples need `.ci/install-tools.sh`; without them this suite fails rather than skipping.
 */
import { execFile } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { configSchema } from "../../src/config/schema.js";
import { startTestGateway, type TestGateway } from "./runners/scenario-gateway.js";

const execFileAsync = promisify(execFile);
const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const PYTHON = join(ROOT, ".venv", "bin", "python");
const TSX = join(ROOT, "node_modules", ".bin", "tsx");

let goExample = "";

/** Each example, by client and transport: the command that runs it against the gateway at `url`. */
const EXAMPLES: { name: string; command(url: string): [string, string[]] }[] = [
  { name: "Go, grpc-go", command: (url) => [goExample, ["-url", url, "-transport", "grpc-go"]] },
  { name: "Go, connect-go (gRPC)", command: (url) => [goExample, ["-url", url, "-transport", "connect-grpc"]] },
  { name: "Python, grpcio", command: (url) => [PYTHON, [join(ROOT, "clients/python/examples/resume.py"), "--target", new URL(url).host]] },
  { name: "Node, connect-node (gRPC)", command: (url) => [TSX, [join(ROOT, "clients/node/examples/resume.ts"), "--url", url, "--protocol", "grpc"]] },
  { name: "Node, connect-node (Connect, HTTP/1.1)", command: (url) => [TSX, [join(ROOT, "clients/node/examples/resume.ts"), "--url", url, "--protocol", "connect"]] },
];

describe("resume examples", () => {
  let gateway: TestGateway;
  let buildDir: string;

  beforeAll(async () => {
    expect(existsSync(PYTHON), "run .ci/install-tools.sh to create .venv").toBe(true);
    buildDir = mkdtempSync(join(tmpdir(), "modelgate-resume-examples-"));
    goExample = join(buildDir, "resume");
    await execFileAsync("go", ["build", "-o", goExample, "./examples/resume"], { cwd: join(ROOT, "clients/go"), timeout: 120_000 });
    gateway = await startTestGateway(
      configSchema.parse({
        server: { host: "127.0.0.1", port: 0, logLevel: process.env.MODELGATE_LOG_LEVEL ?? "silent" },
        providers: { echo: { kind: "echo", allowAnyModel: true } },
        deployments: { echo: { provider: "echo", model: "echo" } },
        aliases: { echo: { tiers: [["echo"]] } },
        replay: { keepDetachedRunsMs: 10_000 },
      }),
    );
  }, 180_000);

  afterAll(async () => {
    await gateway?.close();
    if (buildDir) rmSync(buildDir, { recursive: true, force: true });
  });

  for (const example of EXAMPLES) {
    it(`${example.name}: the stream survives the dropped connection, each event once`, async () => {
      const [command, args] = example.command(gateway.server.url);
      const { stdout } = await execFileAsync(command, args, { cwd: ROOT, timeout: 30_000, encoding: "utf8" });
      const lines = stdout.split("\n");
      expect(lines[1]).toMatch(/^\[connection dropped \(.+\); resuming after position 3\]$/);
      // Everything but the resume notice: the whole answer, once, and all 10 events (start, 8 words, finish).
      const answer = [lines[0], ...lines.slice(2)].join("");
      expect(answer).toMatch(/^\[echo\/echo-100ms\] one two three four five six seven eight \[(FINISH_REASON_)?STOP, 10 events\]$/);
    });
  }
});
