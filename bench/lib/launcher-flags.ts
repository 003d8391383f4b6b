/**
 * The node flags the `modelgate` command runs with, read from the shebang of bin/modelgate.mjs
 * (`#!/usr/bin/env -S node <flags>`; its comment says why each is there). The bench starts the bundle
 * with them, as `npm start` does, so that what it measures is what users run.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const launcher = path.join(path.dirname(fileURLToPath(import.meta.url)), "..", "..", "bin", "modelgate.mjs");

export function launcherNodeFlags(): string[] {
  const shebang = readFileSync(launcher, "utf8").split("\n", 1)[0] ?? "";
  const match = /^#!\/usr\/bin\/env -S node((?: --[\w-]+(?:=\S+)?)*)$/.exec(shebang);
  if (match === null) throw new Error(`bin/modelgate.mjs: unexpected shebang ${JSON.stringify(shebang)}`);
  return (match[1] ?? "").split(" ").filter((flag) => flag !== "");
}
