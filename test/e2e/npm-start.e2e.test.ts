/**
 * `npm start` serves the config the operator names (`--config` after `--`, or MODELGATE_CONFIG), and the
 * example only when neither is given. It rebuilds dist/, so it runs in the sequential pass, away from the
 * suites that run the bundle.
 */
import { spawn } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

const root = join(import.meta.dirname, "..", "..");

function npmStart(args: string[], env: NodeJS.ProcessEnv): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn("npm", ["start", "--silent", ...args], { cwd: root, env: { ...process.env, ...env } });
    let stderr = "";
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    child.on("error", reject);
    child.on("close", () => resolve(stderr));
  });
}

describe("npm start", () => {
  it("serves the config named by --config or MODELGATE_CONFIG, not the example", async () => {
    const missing = join(mkdtempSync(join(tmpdir(), "modelgate-start-")), "mine.yaml");
    expect(await npmStart(["--", "--config", missing], { MODELGATE_CONFIG: "" })).toContain("mine.yaml: cannot read the config file (ENOENT)");
    expect(await npmStart([], { MODELGATE_CONFIG: missing })).toContain("mine.yaml: cannot read the config file (ENOENT)");
  });
});
