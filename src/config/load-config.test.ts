import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { hashCallerKey } from "../callers/caller-key.js";
import { ConfigError, loadConfig, parseConfig, resolveConfigPath } from "./load-config.js";

const minimal = `
providers:
  openai: { kind: openai, baseUrl: "https://api.openai.com/v1", apiKey: "\${OPENAI_API_KEY}" }
  anthropic: { kind: anthropic, baseUrl: "https://api.anthropic.com", apiKey: "\${ANTHROPIC_API_KEY:-}" }
  echo: { kind: echo }
deployments:
  fast: { provider: openai, model: gpt-4.1-mini }
  echo: { provider: echo, model: echo }
aliases:
  chat: { tiers: [[fast], [echo]] }
`;

function problemsOf(run: () => unknown): string[] {
  try {
    run();
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  throw new Error("expected a ConfigError");
}

describe("resolveConfigPath", () => {
  it("prefers --config over the environment", () => {
    expect(resolveConfigPath(["serve", "--config", "a.yaml"], { MODELGATE_CONFIG: "b.yaml" })).toBe("a.yaml");
    expect(resolveConfigPath(["--config=c.yaml"], {})).toBe("c.yaml");
  });

  it("falls back to MODELGATE_CONFIG and then to modelgate.yaml", () => {
    expect(resolveConfigPath([], { MODELGATE_CONFIG: "b.yaml" })).toBe("b.yaml");
    expect(resolveConfigPath([], {})).toBe("modelgate.yaml");
  });
});

describe("parseConfig", () => {
  it("interpolates variables and applies schema defaults", () => {
    const config = parseConfig(minimal, "modelgate.yaml", { OPENAI_API_KEY: "sk-test" });
    expect(config.providers.openai.apiKey).toBe("sk-test");
    expect(config.providers.anthropic.apiKey).toBe("");
    expect(config.server.maxMessageBytes).toBe(4 * 1024 * 1024);
    expect(config.aliases.chat.strategy).toBe("priority");
  });

  it("uses the default after :- when the variable is unset or empty", () => {
    const text = minimal.replace('"${ANTHROPIC_API_KEY:-}"', '"${ANTHROPIC_API_KEY:-fallback}"');
    expect(parseConfig(text, "m.yaml", { OPENAI_API_KEY: "x" }).providers.anthropic.apiKey).toBe("fallback");
    expect(parseConfig(text, "m.yaml", { OPENAI_API_KEY: "x", ANTHROPIC_API_KEY: "" }).providers.anthropic.apiKey).toBe("fallback");
    expect(parseConfig(text, "m.yaml", { OPENAI_API_KEY: "x", ANTHROPIC_API_KEY: "set" }).providers.anthropic.apiKey).toBe("set");
  });

  it("names the path of an unset variable without a default", () => {
    expect(problemsOf(() => parseConfig(minimal, "/etc/modelgate.yaml", {}))).toEqual([
      "modelgate.yaml: providers.openai.apiKey: environment variable OPENAI_API_KEY is not set (write ${OPENAI_API_KEY:-} to allow it to be empty)",
    ]);
  });

  it("lists every cross-reference problem with its path", () => {
    const text = `
providers:
  openai: { kind: openai, baseUrl: "https://api.openai.com/v1" }
  anthropic: { kind: anthropic }
deployments:
  fast: { provider: opena, model: gpt-4.1-mini }
  slow: { provider: anthropic, model: claude-sonnet-4-5 }
aliases:
  chat: { tiers: [[fast, fats]], shadow: { deployment: nope, share: 0.1 } }
routing:
  defaultChain: [missing]
`;
    expect(problemsOf(() => parseConfig(text, "modelgate.yaml", {}))).toEqual([
      'modelgate.yaml: providers.anthropic.baseUrl: required for kind "anthropic"',
      'modelgate.yaml: deployments.fast.provider: unknown provider "opena" (known: anthropic, openai)',
      'modelgate.yaml: aliases.chat.tiers[0][1]: unknown deployment "fats" (known: fast, slow)',
      'modelgate.yaml: aliases.chat.shadow.deployment: unknown deployment "nope" (known: fast, slow)',
      'modelgate.yaml: routing.defaultChain[0]: unknown deployment "missing" (known: fast, slow)',
    ]);
  });

  it("reports schema violations and unknown keys with their paths", () => {
    const text = `
server: { port: 99999, colour: blue }
providers: { echo: { kind: echo } }
deployments: { echo: { provider: echo, model: echo, weight: -1 } }
`;
    const problems = problemsOf(() => parseConfig(text, "modelgate.yaml", {}));
    expect(problems.some((problem) => problem.startsWith("modelgate.yaml: server.port: "))).toBe(true);
    expect(problems.some((problem) => problem.startsWith("modelgate.yaml: server: ") && problem.includes("colour"))).toBe(true);
    expect(problems.some((problem) => problem.startsWith("modelgate.yaml: deployments.echo.weight: "))).toBe(true);
  });

  it("names the line of a YAML syntax error", () => {
    const problems = problemsOf(() => parseConfig("providers:\n  echo: { kind: echo\ndeployments: {}\n", "bad.yaml", {}));
    expect(problems[0]).toMatch(/^bad\.yaml: line \d+, column \d+: /);
  });

  it("rejects a file that is not a mapping", () => {
    expect(problemsOf(() => parseConfig("- a\n- b\n", "list.yaml", {}))[0]).toContain("list.yaml: the file must be a YAML mapping");
  });

  it("keeps $${ as a literal ${", () => {
    const text = minimal.replace("model: echo }", () => 'model: "$${NOT_A_VAR}" }');
    expect(parseConfig(text, "m.yaml", { OPENAI_API_KEY: "k" }).deployments.echo.model).toBe("${NOT_A_VAR}");
  });
});

describe("loadConfig", () => {
  it("loads the example config with no API keys in the environment", () => {
    const config = loadConfig(join(import.meta.dirname, "../../modelgate.example.yaml"), {});
    expect(Object.keys(config.providers).sort()).toEqual(["anthropic", "echo", "gemini", "ollama", "openai"]);
    expect(config.providers.openai.apiKey).toBe("");
    expect(config.aliases.chat.tiers.at(-1)).toEqual(["echo"]);
    expect(config.aliases.echo.tiers).toEqual([["echo"]]);
    expect(config.providers.ollama.baseUrl).toBe("http://127.0.0.1:11434");
    expect(Object.keys(config.providers).filter((name) => config.providers[name].allowAnyModel).sort()).toEqual(["echo", "ollama"]);
  });

  it("turns caller keys on when the example config's commented auth section is uncommented", () => {
    const example = readFileSync(join(import.meta.dirname, "../../modelgate.example.yaml"), "utf8");
    const lines = example.split("\n");
    const start = lines.indexOf("# auth:");
    expect(start).toBeGreaterThan(0);
    const block = lines.slice(start).filter((line) => line.startsWith("# ")).map((line) => line.slice(2));
    const config = parseConfig(`${lines.slice(0, start).join("\n")}\n${block.join("\n")}\n`, "example.yaml", {});
    expect(loadConfig(join(import.meta.dirname, "../../modelgate.example.yaml"), {}).auth).toBeUndefined();
    expect(config.auth?.enabled).toBe(true);
    expect(config.auth?.keys).toHaveLength(1);
    // The example key the comment names, so a curl with it works as soon as the section is uncommented.
    expect(config.auth?.keys[0].sha256).toBe(hashCallerKey("mgk_example-only-replace-me"));
    expect(config.auth?.keys[0].policy).toMatchObject({ aliases: ["chat", "echo"], requestsPerMinute: 60, redactPii: false });
  });

  it("serves only configured deployments unless a provider allows any model, and bounds the ad-hoc ones", () => {
    const config = parseConfig(minimal, "m.yaml", { OPENAI_API_KEY: "k" });
    expect(Object.values(config.providers).map((provider) => provider.allowAnyModel)).toEqual([false, false, false]);
    expect(config.routing.maxAdHocDeployments).toBe(1_000);
    const bounded = parseConfig(`${minimal}routing: { maxAdHocDeployments: 10 }\n`, "m.yaml", { OPENAI_API_KEY: "k" });
    expect(bounded.routing.maxAdHocDeployments).toBe(10);
    expect(problemsOf(() => parseConfig(`${minimal}routing: { maxAdHocDeployments: 0 }\n`, "m.yaml", { OPENAI_API_KEY: "k" }))).toHaveLength(1);
  });

  it("names the file when it cannot be read", () => {
    const directory = mkdtempSync(join(tmpdir(), "modelgate-config-"));
    const missing = join(directory, "missing.yaml");
    expect(problemsOf(() => loadConfig(missing, {}))[0]).toBe(`${missing}: cannot read the config file (ENOENT)`);
    writeFileSync(join(directory, "ok.yaml"), minimal);
    expect(loadConfig(join(directory, "ok.yaml"), { OPENAI_API_KEY: "k" }).deployments.fast.model).toBe("gpt-4.1-mini");
  });

  it("reads a redis section, and refuses one that names neither a node nor a cluster", () => {
    const text = `redis:\n  url: redis://127.0.0.1:6379\n${minimal}`;
    const redis = parseConfig(text, "modelgate.yaml", { OPENAI_API_KEY: "sk-x" }).redis;
    expect(redis).toMatchObject({ url: "redis://127.0.0.1:6379", commandTimeoutMs: 250, keyPrefix: "modelgate:" });
    expect(problemsOf(() => parseConfig(`redis:\n  commandTimeoutMs: 100\n${minimal}`, "modelgate.yaml", { OPENAI_API_KEY: "sk-x" }))).toEqual([
      "modelgate.yaml: redis: set exactly one of url (a single node) and clusterNodes (a cluster)",
    ]);
    expect(problemsOf(() => parseConfig(`redis:\n  url: localhost:6379\n${minimal}`, "modelgate.yaml", { OPENAI_API_KEY: "sk-x" }))).toEqual([
      "modelgate.yaml: redis.url: must start with redis:// or rediss://",
    ]);
  });
});
