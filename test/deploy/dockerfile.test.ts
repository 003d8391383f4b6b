/**
 * The Dockerfile (docs/deploy.md). No Docker engine runs here, so this reads it: the runtime stage holds
 * the bundle and nothing to build with, runs as a non-root user, starts node with the flags and
 * environment of `npm start`, and the build context (.dockerignore) has every file the build copies.
 * lint.test.ts runs hadolint on it.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";

const root = path.join(import.meta.dirname, "..", "..");

interface Instruction {
  keyword: string;
  arguments: string;
}

/** The instructions of a Dockerfile: comments dropped, `\` continuations joined. */
function parseDockerfile(text: string): Instruction[] {
  const logicalLines: string[] = [];
  let pending = "";
  for (const line of text.split("\n")) {
    if (/^\s*#/.test(line)) continue;
    const continued = line.endsWith("\\");
    pending += `${continued ? line.slice(0, -1) : line} `;
    if (!continued) {
      if (pending.trim() !== "") logicalLines.push(pending.trim());
      pending = "";
    }
  }
  return logicalLines.map((line) => {
    const [keyword, ...rest] = line.split(/\s+/);
    return { keyword: keyword.toUpperCase(), arguments: rest.join(" ") };
  });
}

/** The instructions of each stage, in order; a stage starts at FROM. */
function stages(instructions: Instruction[]): Instruction[][] {
  const result: Instruction[][] = [];
  for (const instruction of instructions) {
    if (instruction.keyword === "FROM") result.push([]);
    result.at(-1)?.push(instruction);
  }
  return result;
}

/** `node <flags> dist/modelgate.mjs` and the `NAME=value` before it, from package.json's `start` script. */
function startScript(): { environment: string[]; flags: string[] } {
  const manifest = JSON.parse(readFileSync(path.join(root, "package.json"), "utf8")) as { scripts: Record<string, string> };
  const match = /((?:[A-Z_][A-Z0-9_]*=\S+ )*)node ((?:--[\w-]+(?:=\S+)? )*)dist\/modelgate\.mjs/.exec(manifest.scripts.start);
  if (match === null) throw new Error(`unexpected start script: ${manifest.scripts.start}`);
  const words = (text: string): string[] => text.split(" ").filter((word) => word !== "");
  return { environment: words(match[1]), flags: words(match[2]) };
}

const allStages = stages(parseDockerfile(readFileSync(path.join(root, "Dockerfile"), "utf8")));
const buildStage = allStages[0];
const runtimeStage = allStages.at(-1) ?? [];

function all(stage: Instruction[], keyword: string): string[] {
  return stage.filter((instruction) => instruction.keyword === keyword).map((instruction) => instruction.arguments);
}

describe("Dockerfile", () => {
  it("builds the bundle with npm ci and npm run build in a stage of its own", () => {
    expect(allStages.length).toBeGreaterThanOrEqual(2);
    const runs = all(buildStage, "RUN");
    expect(runs.some((command) => command.startsWith("npm ci"))).toBe(true);
    expect(runs).toContain("npm run build");
  });

  it("copies only the bundle and package.json into the runtime stage", () => {
    const copies = all(runtimeStage, "COPY");
    expect(copies.length).toBeGreaterThan(0);
    for (const copy of copies) expect(copy).toMatch(/^--from=build /);
    expect(copies.some((copy) => / \S+\/dist\/? dist\/?$/.test(copy))).toBe(true);
    expect(all(runtimeStage, "RUN")).toEqual([]);
  });

  it("runs the runtime stage as a numeric non-root user", () => {
    const users = all(runtimeStage, "USER");
    expect(users.length).toBe(1);
    const [user, group] = users[0].split(":");
    expect(user).toMatch(/^\d+$/);
    expect(Number(user)).toBeGreaterThan(0);
    if (group !== undefined) expect(Number(group)).toBeGreaterThan(0);
  });

  it("starts node with the flags and environment of npm start", () => {
    const { environment, flags } = startScript();
    const entrypoint = JSON.parse(all(runtimeStage, "ENTRYPOINT")[0] ?? "[]") as string[];
    expect(entrypoint).toEqual(["node", ...flags, "dist/modelgate.mjs"]);
    const env = all(runtimeStage, "ENV").join(" ").split(/\s+/);
    for (const assignment of environment) expect(env).toContain(assignment);
  });

  it("exposes the default port and stops with SIGTERM", () => {
    expect(all(runtimeStage, "EXPOSE")).toEqual(["8080"]);
    expect(all(runtimeStage, "STOPSIGNAL")).toEqual(["SIGTERM"]);
  });

  it("keeps in the build context every path the build stage copies", () => {
    const ignore = readFileSync(path.join(root, ".dockerignore"), "utf8")
      .split("\n")
      .map((line) => line.trim())
      .filter((line) => line !== "" && !line.startsWith("#"));
    expect(ignore[0]).toBe("*");
    const allowed = new Set(ignore.filter((line) => line.startsWith("!")).map((line) => line.slice(1).replace(/\/$/, "")));
    const copied = all(buildStage, "COPY").flatMap((copy) => copy.split(/\s+/).slice(0, -1));
    expect(copied.length).toBeGreaterThan(0);
    for (const source of copied) expect(allowed, `.dockerignore lets ${source} in`).toContain(source.replace(/\/$/, ""));
  });
});
