/**
 * The node flags and environment the `modelgate` command runs with, read from the shebang of
 * bin/modelgate.mjs (`#!/usr/bin/env -S NAME=value node <flags>`; its comment says why each is there).
 * The bench starts the bundle with them, so that what it measures is what users run.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseAssignments } from "./cli.js";

const launcher = path.join(path.dirname(fileURLToPath(import.meta.url)), "..", "..", "bin", "modelgate.mjs");

function readShebang(): { environment: string[]; flags: string[] } {
  const shebang = readFileSync(launcher, "utf8").split("\n", 1)[0] ?? "";
  const match = /^#!\/usr\/bin\/env -S((?: [A-Z_][A-Z0-9_]*=\S+)*) node((?: --[\w-]+(?:=\S+)?)*)$/.exec(shebang);
  if (match === null) throw new Error(`bin/modelgate.mjs: unexpected shebang ${JSON.stringify(shebang)}`);
  const words = (text: string | undefined): string[] => (text ?? "").split(" ").filter((word) => word !== "");
  return { environment: words(match[1]), flags: words(match[2]) };
}

export function launcherNodeFlags(): string[] {
  return readShebang().flags;
}

/** The environment variables the shebang sets, e.g. `{ MALLOC_ARENA_MAX: "2" }`. */
export function launcherEnvironment(): Record<string, string> {
  return parseAssignments(readShebang().environment);
}
