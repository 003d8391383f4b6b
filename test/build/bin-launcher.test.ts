/**
 * bin/modelgate.mjs run as npm runs a package's command: executed directly, through its shebang. The
 * shebang carries the gateway's one V8 flag (the file's comment says why), so this checks that the
 * process really starts with it, from /proc/<pid>/cmdline (Linux, where CI runs).
 */
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";

const root = path.join(import.meta.dirname, "..", "..");

describe("bin/modelgate.mjs", () => {
  it("runs through its shebang with --max-semi-space-size=16", async () => {
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
      expect(commandLine).toContain("--max-semi-space-size=16");
      expect(commandLine.some((part) => part.endsWith(path.join("bin", "modelgate.mjs")))).toBe(true);
    } finally {
      child.kill("SIGTERM");
    }
  }, 30_000);
});
