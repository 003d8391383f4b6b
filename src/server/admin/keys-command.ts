/**
 * `modelgate keys create|list|revoke`: the AdminService from the command line, against a running
 * gateway (`--url`, else $MODELGATE_URL, else http://127.0.0.1:8080) with the admin token from
 * $MODELGATE_ADMIN_TOKEN (`--admin-token` also works, but lands in the shell's history).
 */
import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";
import { AdminService, type CallerKey } from "../../../gen/modelgate/v1/admin_service_pb.js";

export const keysUsage = `usage:
  modelgate keys create [--name NAME] [--aliases a,b] [--rpm N] [--tpm N] [--daily-usd X] [--monthly-usd X]
                        [--streams N] [--redact-pii] [--team T] [--service S] [--environment E]
  modelgate keys list
  modelgate keys revoke KEY_ID
options: --url URL (or $MODELGATE_URL), --admin-token TOKEN (or $MODELGATE_ADMIN_TOKEN)`;

interface Output {
  out(text: string): void;
  err(text: string): void;
}

/** Options that take no value: present means true. */
const flags = new Set(["redact-pii"]);

function parseOptions(argv: string[]): { options: Map<string, string>; positional: string[] } | string {
  const options = new Map<string, string>();
  const positional: string[] = [];
  for (let index = 0; index < argv.length; index++) {
    const argument = argv[index];
    if (!argument.startsWith("--")) {
      positional.push(argument);
      continue;
    }
    const [name, inline] = argument.slice(2).split("=", 2);
    if (flags.has(name)) {
      if (inline !== undefined) return `--${name} takes no value`;
      options.set(name, "true");
      continue;
    }
    const value = inline ?? argv[++index];
    if (value === undefined) return `--${name} needs a value`;
    options.set(name, value);
  }
  return { options, positional };
}

function describe(key: CallerKey): string {
  const policy = key.policy;
  const limits = [
    policy?.aliases.length ? `aliases=${policy.aliases.join(",")}` : "",
    policy?.requestsPerMinute === undefined ? "" : `rpm=${policy.requestsPerMinute}`,
    policy?.tokensPerMinute === undefined ? "" : `tpm=${policy.tokensPerMinute}`,
    policy?.dailyBudgetUsd === undefined ? "" : `daily=$${policy.dailyBudgetUsd}`,
    policy?.monthlyBudgetUsd === undefined ? "" : `monthly=$${policy.monthlyBudgetUsd}`,
    policy?.maxConcurrentStreams === undefined ? "" : `streams=${policy.maxConcurrentStreams}`,
    policy?.redactPii === true ? "redact-pii" : "",
    policy?.team ? `team=${policy.team}` : "",
  ].filter(Boolean);
  const state = key.revokeTime !== "" ? `revoked ${key.revokeTime}` : key.fromConfig ? "config" : "active";
  return `${key.id}\t${key.name}\t${state}\t${limits.join(" ")}`;
}

const numberOption = (options: Map<string, string>, name: string): number | undefined => {
  const value = options.get(name);
  if (value === undefined) return undefined;
  const parsed = Number(value);
  if (!Number.isFinite(parsed) || parsed <= 0) throw new Error(`--${name} needs a positive number, got ${value}`);
  return parsed;
};

/** Runs `modelgate keys …`; resolves with the exit code. */
export async function runKeysCommand(argv: string[], env: NodeJS.ProcessEnv, output: Output = { out: (text) => process.stdout.write(text), err: (text) => process.stderr.write(text) }): Promise<number> {
  const [action, ...rest] = argv;
  const parsed = parseOptions(rest);
  if (typeof parsed === "string" || action === undefined || !["create", "list", "revoke"].includes(action)) {
    output.err(`${typeof parsed === "string" ? `modelgate: ${parsed}\n` : ""}${keysUsage}\n`);
    return 2;
  }
  const { options, positional } = parsed;
  const token = options.get("admin-token") ?? env.MODELGATE_ADMIN_TOKEN;
  if (token === undefined || token === "") {
    output.err("modelgate: set MODELGATE_ADMIN_TOKEN to the gateway's server.admin.token\n");
    return 2;
  }
  const baseUrl = options.get("url") ?? env.MODELGATE_URL ?? "http://127.0.0.1:8080";
  const client = createClient(AdminService, createConnectTransport({ baseUrl, httpVersion: "1.1" }));
  const callOptions = { headers: { authorization: `Bearer ${token}` }, timeoutMs: 10_000 };
  try {
    if (action === "create") {
      const response = await client.createKey(
        {
          name: options.get("name") ?? "",
          policy: {
            aliases: options.get("aliases")?.split(",").filter(Boolean) ?? [],
            requestsPerMinute: numberOption(options, "rpm"),
            tokensPerMinute: options.has("tpm") ? BigInt(numberOption(options, "tpm") ?? 0) : undefined,
            dailyBudgetUsd: numberOption(options, "daily-usd"),
            monthlyBudgetUsd: numberOption(options, "monthly-usd"),
            maxConcurrentStreams: numberOption(options, "streams"),
            redactPii: options.has("redact-pii") ? true : undefined,
            team: options.get("team") ?? "",
            service: options.get("service") ?? "",
            environment: options.get("environment") ?? "",
          },
        },
        callOptions,
      );
      output.out(`${describe(response.callerKey!)}\n`);
      output.out(`key (shown once, store it now): ${response.key}\n`);
    } else if (action === "list") {
      const response = await client.listKeys({}, callOptions);
      for (const key of response.callerKeys) output.out(`${describe(key)}\n`);
    } else {
      const id = positional[0];
      if (id === undefined) {
        output.err(`modelgate: keys revoke needs a key id\n${keysUsage}\n`);
        return 2;
      }
      const response = await client.revokeKey({ id }, callOptions);
      output.out(`${describe(response.callerKey!)}\n`);
    }
    return 0;
  } catch (error) {
    const connectError = ConnectError.from(error);
    const hint = connectError.code === Code.Unimplemented ? " (is server.admin.token set on the gateway?)" : "";
    output.err(`modelgate: ${connectError.rawMessage || connectError.message}${hint}\n`);
    return 1;
  }
}
