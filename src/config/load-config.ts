/**
 * Reads the YAML config file, interpolates `${VAR}` / `${VAR:-default}` from the environment, validates it
 * against `configSchema` and checks cross-references (deployments name existing providers, aliases name
 * existing deployments). Every problem is reported at once as `<file>: <path>: <what is wrong>`, because
 * fixing a gateway config one error per restart is miserable.
 */
import { readFileSync } from "node:fs";
import { basename } from "node:path";
import { isSeq, LineCounter, parseDocument } from "yaml";
import { configSchema, type GatewayConfig } from "./schema.js";

/** A config that cannot be used; `message` lists every problem, one per line. */
export class ConfigError extends Error {
  readonly problems: string[];

  constructor(problems: string[]) {
    super(problems.join("\n"));
    this.name = "ConfigError";
    this.problems = problems;
  }
}

/** The default config file name, looked up in the working directory. */
export const defaultConfigPath = "modelgate.yaml";

/**
 * Which config file to load: `--config PATH` (or `--config=PATH`), else `MODELGATE_CONFIG`, else
 * `modelgate.yaml`.
 */
export function resolveConfigPath(argv: string[], env: NodeJS.ProcessEnv = process.env): string {
  for (let index = 0; index < argv.length; index++) {
    const argument = argv[index];
    if (argument === "--config" && argv[index + 1] !== undefined) return argv[index + 1];
    if (argument.startsWith("--config=")) return argument.slice("--config=".length);
  }
  const fromEnv = env.MODELGATE_CONFIG;
  return fromEnv !== undefined && fromEnv !== "" ? fromEnv : defaultConfigPath;
}

/** Loads, interpolates and validates the config file at `path`; throws `ConfigError` listing every problem. */
export function loadConfig(path: string, env: NodeJS.ProcessEnv = process.env): GatewayConfig {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new ConfigError([`${path}: cannot read the config file (${code ?? String(error)})`]);
  }
  return parseConfig(text, path, env);
}

/** Like `loadConfig` for text already in memory; `fileName` only labels the messages. */
export function parseConfig(text: string, fileName: string, env: NodeJS.ProcessEnv = process.env): GatewayConfig {
  const label = basename(fileName);
  const lineCounter = new LineCounter();
  const document = parseDocument(text, { lineCounter });
  if (document.errors.length > 0) {
    throw new ConfigError(
      document.errors.map((error) => {
        const position = error.linePos?.[0];
        const where = position ? `line ${position.line}, column ${position.col}` : "syntax";
        return `${label}: ${where}: ${firstLine(error.message).replace(/ at line \d+, column \d+:?$/, "")}`;
      }),
    );
  }
  const raw: unknown = document.toJS();
  if (raw === null || typeof raw !== "object" || Array.isArray(raw) || isSeq(document.contents)) {
    throw new ConfigError([`${label}: the file must be a YAML mapping with providers, deployments and aliases`]);
  }

  const problems: string[] = [];
  const interpolated = interpolateTree(raw, [], env, (path, message) => problems.push(`${label}: ${formatPath(path)}: ${message}`));
  if (problems.length > 0) throw new ConfigError(problems);

  const parsed = configSchema.safeParse(interpolated);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      const path = issue.path.filter((key): key is string | number => typeof key !== "symbol");
      problems.push(`${label}: ${path.length > 0 ? formatPath(path) : "(top level)"}: ${issue.message}`);
    }
    throw new ConfigError(problems);
  }
  for (const problem of crossReferenceProblems(parsed.data)) problems.push(`${label}: ${problem}`);
  if (problems.length > 0) throw new ConfigError(problems);
  return parsed.data;
}

function firstLine(message: string): string {
  return message.split("\n")[0].trim();
}

/** `deployments.fast.tiers[0][1]` style paths. */
function formatPath(path: (string | number)[]): string {
  let out = "";
  for (const key of path) {
    if (typeof key === "number") out += `[${key}]`;
    else out += out === "" ? key : `.${key}`;
  }
  return out;
}

const variablePattern = /\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g;

/** Replaces `${VAR}` and `${VAR:-default}` in every string value; `$${` escapes a literal `${`. */
function interpolateTree(
  value: unknown,
  path: (string | number)[],
  env: NodeJS.ProcessEnv,
  report: (path: (string | number)[], message: string) => void,
): unknown {
  if (typeof value === "string") return interpolateString(value, path, env, report);
  if (Array.isArray(value)) return value.map((item, index) => interpolateTree(item, [...path, index], env, report));
  if (value !== null && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) out[key] = interpolateTree(item, [...path, key], env, report);
    return out;
  }
  return value;
}

function interpolateString(
  value: string,
  path: (string | number)[],
  env: NodeJS.ProcessEnv,
  report: (path: (string | number)[], message: string) => void,
): string {
  const escaped = "\u0000ESCAPED_DOLLAR_BRACE\u0000";
  const withEscapes = value.split("$${").join(escaped);
  const replaced = withEscapes.replace(variablePattern, (match, name: string, fallback: string | undefined) => {
    const found = env[name];
    if (fallback !== undefined) return found !== undefined && found !== "" ? found : fallback;
    if (found === undefined) {
      report(path, `environment variable ${name} is not set (write \${${name}:-} to allow it to be empty)`);
      return match;
    }
    return found;
  });
  return replaced.split(escaped).join("${");
}

function crossReferenceProblems(config: GatewayConfig): string[] {
  const problems: string[] = [];
  const providerNames = Object.keys(config.providers);
  const deploymentNames = new Set(Object.keys(config.deployments));
  const knownProviders = providerNames.length > 0 ? providerNames.sort().join(", ") : "none";

  for (const [name, provider] of Object.entries(config.providers)) {
    if (provider.kind !== "echo" && provider.baseUrl === undefined) {
      problems.push(`providers.${name}.baseUrl: required for kind "${provider.kind}"`);
    }
  }
  for (const [name, deployment] of Object.entries(config.deployments)) {
    if (!(deployment.provider in config.providers)) {
      problems.push(
        `deployments.${name}.provider: unknown provider "${deployment.provider}" (known: ${knownProviders})`,
      );
    }
  }
  const checkDeployment = (path: string, deployment: string): void => {
    if (!deploymentNames.has(deployment)) {
      problems.push(`${path}: unknown deployment "${deployment}" (known: ${[...deploymentNames].sort().join(", ") || "none"})`);
    }
  };
  for (const [name, alias] of Object.entries(config.aliases)) {
    alias.tiers.forEach((tier, tierIndex) =>
      tier.forEach((deployment, index) => checkDeployment(`aliases.${name}.tiers[${tierIndex}][${index}]`, deployment)),
    );
    if (alias.shadow) checkDeployment(`aliases.${name}.shadow.deployment`, alias.shadow.deployment);
    for (const deployment of Object.keys(alias.weights ?? {})) checkDeployment(`aliases.${name}.weights.${deployment}`, deployment);
  }
  config.routing.defaultChain.forEach((deployment, index) => checkDeployment(`routing.defaultChain[${index}]`, deployment));
  const staticKeyIds = new Set((config.auth?.keys ?? []).map((key) => key.id));
  config.server.tls?.callers.forEach((caller, index) => {
    if (caller.policy === undefined && !staticKeyIds.has(caller.keyId)) {
      problems.push(`server.tls.callers[${index}].keyId: "${caller.keyId}" is not in auth.keys; name one or give a policy`);
    }
  });
  return problems;
}
