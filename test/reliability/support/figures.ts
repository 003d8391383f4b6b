/**
 * What each battery test leaves behind: its figures line, printed and stored with the verdict of its
 * invariant, so that global-setup.ts can regenerate docs/reliability.md after the run. A test records
 * its figures before it asserts, so a failing invariant still shows what was measured.
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { figuresDirectory, repositoryDirectory } from "./paths.js";

/** One test's row in docs/reliability.md. */
export interface BatteryRow {
  /** "R1", "A3", ...: orders the rows and names the file. */
  id: string;
  title: string;
  /** What must hold, in one sentence. */
  invariant: string;
  /** The printed line, e.g. "R1: 10000 requests, 100.00% ok, ...". */
  figures: string;
  /** Held, or the first line of the failed assertion. */
  verdict: "pass" | { failed: string };
  /** ISO date and time of the run. */
  date: string;
  /** Short commit, "+ uncommitted changes" when the tree was dirty. */
  commit: string;
}

function git(...args: string[]): string {
  try {
    return execFileSync("git", args, { cwd: repositoryDirectory, encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim();
  } catch {
    return "";
  }
}

/** The commit the working tree is on, marked when the tree has changes (read-only git calls). */
export function describeCommit(): string {
  const head = git("rev-parse", "--short=12", "HEAD") || "unknown";
  return git("status", "--porcelain", "--untracked-files=no") === "" ? head : `${head} + uncommitted changes`;
}

/**
 * Prints `figures` (one line), stores it, then runs `check` (the test's assertions) and stores its
 * verdict; a failed check is rethrown, so the test fails as it should.
 */
export async function recordFigures(
  row: Pick<BatteryRow, "id" | "title" | "invariant" | "figures">,
  check: () => void | Promise<void>,
): Promise<void> {
  console.log(row.figures);
  const store = (verdict: BatteryRow["verdict"]): void => {
    mkdirSync(figuresDirectory, { recursive: true });
    const full: BatteryRow = { ...row, verdict, date: new Date().toISOString(), commit: describeCommit() };
    writeFileSync(path.join(figuresDirectory, `${row.id}.json`), `${JSON.stringify(full, null, 2)}\n`);
  };
  try {
    await check();
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    // eslint-disable-next-line no-control-regex -- assertion messages carry terminal colours
    store({ failed: message.replace(/\u001b\[[0-9;]*m/g, "").split("\n")[0].slice(0, 300) });
    throw error;
  }
  store("pass");
}

/** "12.3 ms": one decimal for small values, none past 100. */
export function ms(value: number): string {
  if (!Number.isFinite(value)) return "n/a";
  return `${value >= 100 ? Math.round(value) : value.toFixed(1)} ms`;
}

/** "87.4 MiB" */
export function mib(value: number): string {
  return Number.isFinite(value) ? `${value.toFixed(1)} MiB` : "n/a";
}
