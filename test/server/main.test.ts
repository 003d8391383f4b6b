/** The CLI over a real process: an invalid config is reported with file and path, and main exits 1. */
import { spawn } from "node:child_process";
import { createServer } from "node:net";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

const root = join(import.meta.dirname, "..", "..");

function run(args: string[]): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn("npx", ["tsx", "src/main.ts", ...args], { cwd: root, env: { ...process.env, OPENAI_API_KEY: "" } });
    let stderr = "";
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stderr }));
  });
}

describe("modelgate main", () => {
  it("prints every config problem with file and path and exits 1", async () => {
    const directory = mkdtempSync(join(tmpdir(), "modelgate-main-"));
    const bad = join(directory, "bad.yaml");
    writeFileSync(
      bad,
      ["providers:", "  openai: { kind: openai, baseUrl: 'https://api.openai.com/v1' }", "deployments:", "  fast: { provider: opena, model: gpt-4.1-mini }", ""].join("\n"),
    );
    const { code, stderr } = await run(["--config", bad]);
    expect(code).toBe(1);
    expect(stderr).toContain('bad.yaml: deployments.fast.provider: unknown provider "opena" (known: openai)');
  });

  it("names the missing file and exits 1", async () => {
    const { code, stderr } = await run(["serve", "--config", "does-not-exist.yaml"]);
    expect(code).toBe(1);
    expect(stderr).toContain("does-not-exist.yaml: cannot read the config file (ENOENT)");
  });

  it("says which address is busy, without a stack trace, and exits 1", async () => {
    const busy = createServer();
    const port = await new Promise<number>((resolve) => busy.listen(0, "127.0.0.1", () => resolve((busy.address() as { port: number }).port)));
    try {
      const { code, stderr } = await run(["--config", "modelgate.example.yaml", "--port", String(port)]);
      expect(code).toBe(1);
      expect(stderr).toContain(`modelgate: cannot listen on 127.0.0.1:${port}: the port is in use`);
      expect(stderr).not.toContain("    at ");
    } finally {
      busy.close();
    }
  });

  it("rejects an unknown argument with usage and exit code 2", async () => {
    const { code, stderr } = await run(["--bogus"]);
    expect(code).toBe(2);
    expect(stderr).toContain("usage:");
  });
});
