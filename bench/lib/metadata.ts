/** What a result must record to be comparable later: versions, commit, CPU, Node, load on the machine. */
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { launcherEnvironment, launcherNodeFlags } from "./launcher-flags.js";
import { benchDirectory, repositoryDirectory } from "./targets.js";

function run(command: string, args: string[], cwd = repositoryDirectory): string | undefined {
  const result = spawnSync(command, args, { cwd, encoding: "utf8", timeout: 15_000 });
  return result.status === 0 ? result.stdout.trim() : undefined;
}

function packageVersion(directory: string, name: string): string | undefined {
  const file = path.join(directory, "node_modules", name, "package.json");
  return existsSync(file) ? (JSON.parse(readFileSync(file, "utf8")) as { version?: string }).version : undefined;
}

export interface Metadata {
  startedAt: string;
  commit?: string;
  /** Uncommitted changes were present in the tree (the numbers may not match the commit). */
  dirty: boolean;
  node: string;
  versions: Record<string, string | undefined>;
  cpu: { model: string; cores: number; lscpu?: string };
  os: string;
  loadAverageAtStart: number[];
  pinned: boolean;
  /** The node flags modelgate and the null handler ran with (the `modelgate` command's). */
  gatewayNodeFlags?: string[];
  /** The environment variables the `modelgate` command sets for them. */
  gatewayEnvironment?: Record<string, string>;
  /**
   * The kernel's DAMON memory monitors, e.g. `kdamond.0 on (paddr; pageout)`: one runs on this VM, and
   * the page reclaim it drives is part of the rig's noise, so a result says whether it was there.
   */
  memoryMonitors?: string[];
}

const damonDirectory = "/sys/kernel/mm/damon/admin/kdamonds";

function readDamonMonitors(): string[] {
  if (!existsSync(damonDirectory)) return [];
  const read = (file: string): string | undefined => {
    try {
      return readFileSync(file, "utf8").trim();
    } catch {
      return undefined;
    }
  };
  return readdirSync(damonDirectory)
    .filter((entry) => /^\d+$/.test(entry))
    .map((entry) => {
      const kdamond = path.join(damonDirectory, entry);
      const contexts = path.join(kdamond, "contexts");
      const details = (existsSync(contexts) ? readdirSync(contexts) : [])
        .filter((context) => /^\d+$/.test(context))
        .map((context) => {
          const schemes = path.join(contexts, context, "schemes");
          const actions = (existsSync(schemes) ? readdirSync(schemes) : []).filter((scheme) => /^\d+$/.test(scheme)).map((scheme) => read(path.join(schemes, scheme, "action")));
          return [read(path.join(contexts, context, "operations")), ...actions].filter((part) => part !== undefined).join("; ");
        });
      return `kdamond.${entry} ${read(path.join(kdamond, "state")) ?? "?"}${details.length > 0 ? ` (${details.join(", ")})` : ""}`;
    });
}

export function collectMetadata(pinned: boolean): Metadata {
  const portkeyDirectory = path.join(benchDirectory, "peers", "portkey");
  const litellmPython = path.join(benchDirectory, "peers", "litellm", ".venv", "bin", "python");
  const modelgate = JSON.parse(readFileSync(path.join(repositoryDirectory, "package.json"), "utf8")) as { version: string };
  const commit = run("git", ["rev-parse", "HEAD"]);
  return {
    startedAt: new Date().toISOString(),
    ...(commit === undefined ? {} : { commit }),
    dirty: (run("git", ["status", "--porcelain", "--untracked-files=no"]) ?? "") !== "",
    node: process.version,
    versions: {
      modelgate: modelgate.version,
      "@connectrpc/connect-node": packageVersion(repositoryDirectory, "@connectrpc/connect-node"),
      "@bufbuild/protobuf": packageVersion(repositoryDirectory, "@bufbuild/protobuf"),
      "@grpc/grpc-js": packageVersion(repositoryDirectory, "@grpc/grpc-js"),
      undici: packageVersion(repositoryDirectory, "undici"),
      "@portkey-ai/gateway": packageVersion(portkeyDirectory, "@portkey-ai/gateway"),
      hono: packageVersion(portkeyDirectory, "hono"),
      "@hono/node-server": packageVersion(portkeyDirectory, "@hono/node-server"),
      litellm: existsSync(litellmPython) ? run(litellmPython, ["-c", "import importlib.metadata as m; print(m.version('litellm'))"]) : undefined,
      python: existsSync(litellmPython) ? run(litellmPython, ["-c", "import platform; print(platform.python_version())"]) : undefined,
    },
    cpu: { model: os.cpus()[0]?.model ?? "unknown", cores: os.cpus().length, ...(() => { const lscpu = run("lscpu", []); return lscpu === undefined ? {} : { lscpu }; })() },
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    loadAverageAtStart: os.loadavg(),
    pinned,
    gatewayNodeFlags: launcherNodeFlags(),
    gatewayEnvironment: launcherEnvironment(),
    memoryMonitors: readDamonMonitors(),
  };
}
