import { mkdtempSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { capturingLogger } from "../routing/testing/engine-fixture.js";
import type { ConfigAnnouncer } from "./config-announcer.js";
import { createConfigReloader, type ConfigReloader, type ConfigReloaderOptions } from "./config-reloader.js";
import { loadConfig } from "./load-config.js";
import type { GatewayConfig } from "./schema.js";

/** A valid config whose alias `chat` routes to `deployment`. */
function configText(deployment: "first" | "second", extra = ""): string {
  return [
    "reload: { watchFile: false }",
    "providers:",
    "  local: { kind: echo }",
    "deployments:",
    "  first: { provider: local, model: echo-1 }",
    "  second: { provider: local, model: echo-2 }",
    "aliases:",
    `  chat: { tiers: [[${deployment}]] }`,
    extra,
  ].join("\n");
}

/** An announcer that records what is announced and lets the test play another replica. */
function recordingAnnouncer(): ConfigAnnouncer & { announced: string[]; hear(text: string): void } {
  let handler: ((text: string) => void) | undefined;
  const announced: string[] = [];
  return {
    announced,
    announce: (text) => {
      announced.push(text);
      return Promise.resolve();
    },
    onAnnounce: (next) => (handler = next),
    hear: (text) => handler?.(text),
  };
}

const reloaders: ConfigReloader[] = [];
afterEach(() => {
  for (const reloader of reloaders.splice(0)) reloader.close();
});

function setUp(text: string, overrides: Partial<ConfigReloaderOptions> = {}) {
  const directory = mkdtempSync(join(tmpdir(), "modelgate-reload-"));
  const path = join(directory, "modelgate.yaml");
  writeFileSync(path, text);
  const { logger, lines } = capturingLogger();
  const applied: GatewayConfig[] = [];
  const announcer = recordingAnnouncer();
  const reloader = createConfigReloader({
    path,
    env: { ADMIN_TOKEN: "a-token-of-enough-length" },
    initial: loadConfig(path, {}),
    logger,
    announcer,
    apply: (next) => {
      applied.push(next);
      return Promise.resolve();
    },
    ...overrides,
  });
  reloaders.push(reloader);
  return { path, directory, reloader, lines, applied, announcer };
}

const waitUntil = async (done: () => boolean, timeoutMs = 3_000): Promise<void> => {
  const until = Date.now() + timeoutMs;
  while (!done()) {
    if (Date.now() > until) throw new Error("timed out");
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
};

describe("createConfigReloader", () => {
  it("applies a changed file, announces its text and reports nothing needing a restart", async () => {
    const { path, reloader, applied, announcer } = setUp(configText("first"));
    writeFileSync(path, configText("second"));
    expect(await reloader.reloadFile("signal")).toEqual({ status: "applied", needsRestart: [] });
    expect(applied.map((config) => config.aliases.chat.tiers)).toEqual([[["second"]]]);
    expect(reloader.current().aliases.chat.tiers).toEqual([["second"]]);
    expect(announcer.announced).toEqual([configText("second")]);
  });

  it("refuses a bad file with every problem, logs them, and keeps the old config", async () => {
    const { path, reloader, applied, lines, announcer } = setUp(configText("first"));
    writeFileSync(path, configText("first").replace("model: echo-1", "model: ''").replace("model: echo-2", "model: echo-2, weight: -1"));
    const outcome = await reloader.reloadFile("signal");
    const problems = outcome.status === "refused" ? outcome.problems : [];
    expect(outcome.status).toBe("refused");
    expect(problems).toHaveLength(2);
    expect(problems[0]).toContain("modelgate.yaml: deployments.first.model:");
    expect(problems[1]).toContain("modelgate.yaml: deployments.second.weight:");
    expect(applied).toEqual([]);
    expect(announcer.announced).toEqual([]);
    expect(reloader.current().aliases.chat.tiers).toEqual([["first"]]);
    const refused = lines.find((line) => line.msg === "config reload refused: the old config keeps serving");
    expect(refused).toMatchObject({ level: 50, problems });
  });

  it("lists every cross-reference problem of a refused file", async () => {
    const { path, reloader } = setUp(configText("first"));
    writeFileSync(path, configText("first").replace("tiers: [[first]]", "tiers: [[nope, nada]]"));
    const outcome = await reloader.reloadFile("admin");
    expect(outcome).toEqual({
      status: "refused",
      problems: [
        'modelgate.yaml: aliases.chat.tiers[0][0]: unknown deployment "nope" (known: first, second)',
        'modelgate.yaml: aliases.chat.tiers[0][1]: unknown deployment "nada" (known: first, second)',
      ],
    });
  });

  it("keeps the old config when building the new engine fails", async () => {
    const { path, reloader } = setUp(configText("first"), { apply: () => Promise.reject(new Error("no adapter")) });
    writeFileSync(path, configText("second"));
    const outcome = await reloader.reloadFile("signal");
    expect(outcome).toEqual({ status: "refused", problems: ["the new config could not be applied: no adapter"] });
    expect(reloader.current().aliases.chat.tiers).toEqual([["first"]]);
  });

  it("does nothing for a file whose config did not change", async () => {
    const { path, reloader, applied } = setUp(configText("first"));
    writeFileSync(path, `# a comment only\n${configText("first")}`);
    expect(await reloader.reloadFile("signal")).toEqual({ status: "unchanged" });
    expect(applied).toEqual([]);
  });

  it("reports server settings that need a restart and applies the rest", async () => {
    const { path, reloader, applied, lines } = setUp(configText("first"));
    writeFileSync(path, configText("second", "server: { port: 9999, admin: { token: '${ADMIN_TOKEN}' } }"));
    expect(await reloader.reloadFile("signal")).toEqual({ status: "applied", needsRestart: ["server.port"] });
    expect(applied).toHaveLength(1);
    expect(reloader.current().server.admin.token).toBe("a-token-of-enough-length");
    expect(lines.find((line) => Array.isArray(line.settings))).toMatchObject({ level: 40, settings: ["server.port"] });
  });

  it("applies text another replica announced without announcing it again", async () => {
    const { reloader, applied, announcer } = setUp(configText("first"));
    announcer.hear(configText("second"));
    await waitUntil(() => applied.length === 1);
    expect(reloader.current().aliases.chat.tiers).toEqual([["second"]]);
    expect(announcer.announced).toEqual([]);
    expect(await reloader.applyAnnounced("providers: {}\ndeployments: {}\naliases: { chat: { tiers: [[x]] } }")).toMatchObject({ status: "refused" });
  });

  it("reloads once when the file is replaced by a rename, as editors save", async () => {
    const { path, directory, reloader, applied } = setUp(configText("first").replace("watchFile: false", "watchFile: true, debounceMs: 50"));
    const temporary = join(directory, ".modelgate.yaml.swp");
    writeFileSync(temporary, configText("second").replace("watchFile: false", "watchFile: true, debounceMs: 50"));
    renameSync(temporary, path);
    await waitUntil(() => applied.length === 1);
    expect(reloader.current().aliases.chat.tiers).toEqual([["second"]]);
    // The watch survives the replacement: a later in-place write is seen too.
    writeFileSync(path, readFileSync(path, "utf8").replace("tiers: [[second]]", "tiers: [[first]]"));
    await waitUntil(() => applied.length === 2);
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect(applied).toHaveLength(2);
  });

  it("does not watch the file when reload.watchFile is false", async () => {
    const { path, applied } = setUp(configText("first"));
    writeFileSync(path, configText("second"));
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect(applied).toEqual([]);
  });
});
