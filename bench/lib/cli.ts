/**
 * What the bench's command-line tools share: reading `--name value` flags, `NAME=value` assignments and
 * a process's CPU time.
 */
import { readFileSync } from "node:fs";

/** The value after `--name` on the command line, or `fallback`. */
export function argument(name: string, fallback: string): string {
  const index = process.argv.indexOf(`--${name}`);
  return index > 0 ? (process.argv[index + 1] ?? fallback) : fallback;
}

/** `NAME=value` words (as `env` takes them) as an environment; words without `=` are ignored. */
export function parseAssignments(words: string[]): Record<string, string> {
  return Object.fromEntries(
    words.filter((word) => word.includes("=")).map((word) => [word.slice(0, word.indexOf("=")), word.slice(word.indexOf("=") + 1)]),
  );
}

/** User + system CPU of a process so far, in ms (Linux /proc; clock ticks of 10 ms). */
export function cpuMs(pid: number | undefined): number {
  if (pid === undefined) return Number.NaN;
  const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1].split(" ");
  return (Number(fields[11]) + Number(fields[12])) * 10;
}
