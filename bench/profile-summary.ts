/**
 * Summarises a V8 `.cpuprofile` (from `node --cpu-prof`) over its last N seconds, so a profile taken
 * under steady load is not diluted by start-up and warm-up: self time by package (a node_modules
 * package, a `node:` module, a folder of ours) and by function. Used by bench/profile.ts; also runs on
 * its own: `npx tsx bench/profile-summary.ts <file.cpuprofile> [lastSeconds] [rows]`.
 */
import { readFileSync } from "node:fs";
import { pathToFileURL } from "node:url";

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

export interface ProfileShare {
  name: string;
  /** Share of the samples in the window, in percent. */
  percent: number;
}

export interface ProfileSummary {
  samples: number;
  windowSeconds: number;
  byPackage: ProfileShare[];
  byFunction: ProfileShare[];
}

/** Where a frame's code lives: `undici`, `@connectrpc/connect`, `node:internal/streams`, `src/routing`, or a V8 pseudo-frame such as `(garbage collector)`. */
function packageOf(node: ProfileNode): string {
  const url = node.callFrame.url;
  if (url === "") return node.callFrame.functionName;
  const dependency = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (dependency) return dependency[1];
  if (url.startsWith("node:")) return url.split("/").slice(0, 2).join("/");
  const ours = /\/(src|bench|gen)\/([^/]+)\//.exec(url);
  return ours ? `${ours[1]}/${ours[2]}` : url;
}

function functionOf(node: ProfileNode): string {
  const { functionName, url, lineNumber } = node.callFrame;
  const where = url.replace(/^.*node_modules\//, "").replace(/^file:\/\/.*?\/(src|bench|gen)\//, "$1/");
  return where === "" ? functionName : `${functionName || "(anonymous)"} ${where}:${lineNumber + 1}`;
}

function top(counts: Map<string, number>, total: number, rows: number): ProfileShare[] {
  return [...counts]
    .sort((a, b) => b[1] - a[1])
    .slice(0, rows)
    .map(([name, count]) => ({ name, percent: (100 * count) / total }));
}

/** Self time by package and by function over the last `lastSeconds` of the profile. */
export function summariseProfile(file: string, lastSeconds: number, rows = 25): ProfileSummary {
  const profile = JSON.parse(readFileSync(file, "utf8")) as CpuProfile;
  const nodes = new Map(profile.nodes.map((node) => [node.id, node]));
  const from = profile.endTime - lastSeconds * 1e6;
  const byPackage = new Map<string, number>();
  const byFunction = new Map<string, number>();
  let at = profile.startTime;
  let total = 0;
  profile.samples.forEach((id, index) => {
    at += profile.timeDeltas[index];
    const node = nodes.get(id);
    if (at < from || node === undefined) return;
    total += 1;
    const where = packageOf(node);
    byPackage.set(where, (byPackage.get(where) ?? 0) + 1);
    const name = functionOf(node);
    byFunction.set(name, (byFunction.get(name) ?? 0) + 1);
  });
  return { samples: total, windowSeconds: lastSeconds, byPackage: top(byPackage, total, rows), byFunction: top(byFunction, total, rows) };
}

/** The summary as two Markdown tables. */
export function formatProfileSummary(summary: ProfileSummary): string {
  const table = (title: string, shares: ProfileShare[]): string =>
    [`| ${title} | self time % |`, "|---|---|", ...shares.map((share) => `| ${share.name} | ${share.percent.toFixed(1)} |`)].join("\n");
  return [
    `${summary.samples} samples over the last ${summary.windowSeconds} s.`,
    "",
    table("package", summary.byPackage),
    "",
    table("function", summary.byFunction),
  ].join("\n");
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const [file, lastSeconds = "5", rows = "25"] = process.argv.slice(2);
  if (file === undefined) throw new Error("usage: profile-summary.ts <file.cpuprofile> [lastSeconds] [rows]");
  process.stdout.write(`${formatProfileSummary(summariseProfile(file, Number(lastSeconds), Number(rows)))}\n`);
}
