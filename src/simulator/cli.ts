/**
 * `modelgate simulate`: runs the vendor simulator in the foreground for the demo, for tests in other
 * languages and for benchmarks. Options: `--port N` (default 9100), `--host H` (default 127.0.0.1),
 * `--rules FILE.yaml|json` (a list of SimRule, or `{rules: [...]}`). Closes on SIGINT/SIGTERM.
 */
import { readFile } from "node:fs/promises";
import { parseArgs } from "node:util";
import { parse as parseYaml } from "yaml";
import { VENDORS } from "./behavior.js";
import { parseRules } from "./control.js";
import type { Simulator } from "./server.js";
import { startSimulator } from "./server.js";

export const DEFAULT_SIMULATOR_PORT = 9100;

const USAGE = "usage: modelgate simulate [--port N] [--host HOST] [--rules FILE.yaml|json]";

/** Parses argv (without the `simulate` word), starts the simulator and resolves once it has closed. */
export async function runSimulateCommand(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      port: { type: "string" },
      host: { type: "string" },
      rules: { type: "string" },
      help: { type: "boolean", short: "h" },
    },
    strict: true,
  });
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  const port = values.port === undefined ? DEFAULT_SIMULATOR_PORT : Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`--port must be 0..65535, got ${values.port}\n${USAGE}`);
  const rules = values.rules === undefined ? [] : parseRules(await readRulesFile(values.rules));
  const simulator = await startSimulator({ port, host: values.host });
  for (const rule of rules) simulator.program(rule);
  printBaseUrls(simulator, rules.length);
  await new Promise<void>((resolve) => {
    const stop = (): void => {
      process.off("SIGINT", stop);
      process.off("SIGTERM", stop);
      simulator.close().then(resolve, resolve);
    };
    process.on("SIGINT", stop);
    process.on("SIGTERM", stop);
  });
}

async function readRulesFile(file: string): Promise<unknown> {
  const text = await readFile(file, "utf8");
  return file.endsWith(".json") ? JSON.parse(text) : parseYaml(text);
}

function printBaseUrls(simulator: Simulator, ruleCount: number): void {
  const lines = [`modelgate vendor simulator listening on ${simulator.url} (${ruleCount} rules loaded)`];
  for (const vendor of VENDORS) lines.push(`  ${vendor.padEnd(10)}${simulator.baseUrl(vendor)}`);
  lines.push(`  control   ${simulator.url}/__sim/{rules,default,reset,requests}`);
  process.stdout.write(`${lines.join("\n")}\n`);
}
