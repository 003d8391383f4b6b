/**
 * bin/modelgate.mjs run as npm runs a package's command: executed directly, through its shebang. The
 * shebang carries the gateway's V8 flags and one environment variable (the file's comment says why), so
 * this checks that the process really starts with them, from /proc/<pid>/cmdline and environ (Linux,
 * where CI runs), and that `npm start` passes the same ones.
 */
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";

const root = path.join(import.meta.dirname, "..", "..");
const flags = ["--max-semi-space-size=16", "--no-allocation-site-pretenuring", "--expose-gc"];
const environment = "MALLOC_ARENA_MAX=2";

describe("bin/modelgate.mjs", () => {
  it("runs through its shebang with the gateway's V8 flags", async () => {
    const child = spawn(path.join(root, "bin", "modelgate.mjs"), ["simulate", "--port", "0"], { cwd: root, stdio: ["ignore", "pipe", "pipe"] });
    try {
      let output = "";
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`not listening in 20 s:\n${output}`)), 20_000);
        const onData = (data: Buffer): void => {
          output += data.toString("utf8");
          if (/listening on http:\/\//.test(output)) {
            clearTimeout(timer);
            resolve();
          }
        };
        child.stdout.on("data", onData);
        child.stderr.on("data", onData);
        child.once("exit", (code) => {
          clearTimeout(timer);
          reject(new Error(`exited with ${code}:\n${output}`));
        });
      });
      const commandLine = readFileSync(`/proc/${child.pid}/cmdline`, "utf8").split("\0");
      for (const flag of flags) expect(commandLine).toContain(flag);
      expect(readFileSync(`/proc/${child.pid}/environ`, "utf8").split("\0")).toContain(environment);
      expect(commandLine.some((part) => part.endsWith(path.join("bin", "modelgate.mjs")))).toBe(true);
    } finally {
      child.kill("SIGTERM");
    }
  }, 30_000);

  it("gets the same flags from `npm start`", () => {
    const shebang = readFileSync(path.join(root, "bin", "modelgate.mjs"), "utf8").split("\n", 1)[0];
    expect(shebang).toBe(`#!/usr/bin/env -S ${environment} node ${flags.join(" ")}`);
    const scripts = (JSON.parse(readFileSync(path.join(root, "package.json"), "utf8")) as { scripts: Record<string, string> }).scripts;
    expect(scripts.start).toContain(`${environment} node ${flags.join(" ")} dist/modelgate.mjs`);
  });
});
