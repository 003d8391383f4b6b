/** The result's shape, the short console table, and bench/RESULTS.md with its chart. */
import { writeFileSync } from "node:fs";
import path from "node:path";
import { drawChart, type Panel } from "./chart.js";
import type { Metadata } from "./metadata.js";
import type { Mode } from "./plan.js";
import type { LatencyScenario, StreamFigures, TtftScenario } from "./scenarios-latency.js";
import type { Frontier, LoadCell, MemoryFigures } from "./scenarios-load.js";
import { formatSpread, round, type Spread } from "./stats.js";
import { benchDirectory } from "./targets.js";

export interface GatewayStatus {
  gateway: string;
  /** "ran", or "skipped: <why>". */
  status: string;
}

export interface BenchResult {
  mode: Mode;
  seed: number;
  metadata: Metadata & { loadAverageAtEnd: number[]; durationSeconds: number };
  gateways: GatewayStatus[];
  targets: { name: string; gateway: string; protocol: string }[];
  latency: LatencyScenario;
  ttft: TtftScenario;
  capacity: LoadCell[];
  frontier: Frontier[];
  fixedRate: LoadCell[];
  memory: MemoryFigures[];
  skippedForTime: string[];
  /** What every target served before the scenarios (absent in results from before the warm-up existed). */
  warmup?: { unaryMs: number; streamMs: number; calls: Record<string, number>; concurrency?: number };
}

const ms = (value: Spread | undefined): string => formatSpread(value);
const mib = (value: number | undefined): string => (value === undefined || !Number.isFinite(value) ? "–" : `${round(value)}`);

function table(header: string[], rows: string[][]): string {
  return [`| ${header.join(" | ")} |`, `|${header.map(() => "---").join("|")}|`, ...rows.map((row) => `| ${row.join(" | ")} |`)].join("\n");
}

function textTable(header: string[], rows: string[][]): string {
  const widths = header.map((cell, index) => Math.max(cell.length, ...rows.map((row) => (row[index] ?? "").length)));
  const line = (row: string[]): string => row.map((cell, index) => cell.padEnd(widths[index] ?? 0)).join("  ");
  return [line(header), line(widths.map((width) => "-".repeat(width))), ...rows.map(line)].join("\n");
}

function streamRows(figures: StreamFigures[], expected: number): string[][] {
  return figures.map((figure) => [
    figure.target,
    ms(figure.ttftMs),
    figure.target === "direct" ? "–" : ms(figure.addedTtftMs),
    ms(figure.gapMs),
    figure.errors > 0 ? `${figure.errors} errors: ${figure.firstError ?? ""}`.slice(0, 80) : figure.wrongDeltaCount === 0 ? `all ${expected}` : `${figure.wrongDeltaCount}/${figure.streams} wrong`,
    figure.buffered ? "BUFFERED" : "no",
  ]);
}

/** The short table printed at the end of every run (smoke prints only this). */
export function consoleSummary(result: BenchResult): string {
  const parts = [
    `modelgate bench (${result.mode}), ${result.metadata.durationSeconds.toFixed(1)} s, commit ${result.metadata.commit?.slice(0, 10) ?? "?"}${result.metadata.dirty ? "+dirty" : ""}`,
    ...result.gateways.filter((entry) => entry.status !== "ran").map((entry) => `${entry.gateway}: ${entry.status}`),
    "",
    "1. one request at a time (instant mock), ms: median (min–max) over rounds",
    textTable(
      ["target", "p50", "p99", "added p50", "added p99"],
      result.latency.figures.map((figure) => [figure.target, ms(figure.p50Ms), ms(figure.p99Ms), figure.target === "direct" ? "–" : ms(figure.addedP50Ms), figure.target === "direct" ? "–" : ms(figure.addedP99Ms)]),
    ),
    ...result.latency.figures.filter((figure) => figure.error !== undefined).map((figure) => `   ${figure.target} failed: ${(figure.error ?? "").slice(0, 120)}`),
    result.latency.saturatedRounds.length > 0 ? `   rig saturated in rounds ${result.latency.saturatedRounds.join(", ")} (direct p99 > 2 × floor ${round(result.latency.floorMs)} ms)${result.latency.discardedSaturated ? ": discarded" : ": kept, treat figures with care"}` : "",
    "",
    `2. time to first content (${result.ttft.paced.deltas} deltas every ${result.ttft.paced.gapMs} ms), ms`,
    textTable(["target", "ttft", "added", "gap", "deltas", "buffered"], streamRows(result.ttft.paced.figures, result.ttft.paced.deltas)),
    `   instant upstream (${result.ttft.instant.deltas} deltas at once)`,
    textTable(["target", "ttft", "added", "gap", "deltas", "buffered"], streamRows(result.ttft.instant.figures, result.ttft.instant.deltas)),
  ];
  if (result.frontier.length > 0) {
    parts.push(
      "",
      "3. capacity on one core, req/s (at c)",
      textTable(
        ["target", "p99 < 10 ms", "p99 < 50 ms", "max"],
        result.frontier.map((entry) => [
          entry.target,
          entry.under10Ms ? `${round(entry.under10Ms.median)} (c=${entry.under10Ms.concurrency})` : "none",
          entry.under50Ms ? `${round(entry.under50Ms.median)} (c=${entry.under50Ms.concurrency})` : "none",
          `${round(entry.max.median)} (c=${entry.max.concurrency})`,
        ]),
      ),
    );
  }
  if (result.fixedRate.length > 0) {
    parts.push("", "4. fixed rate against the 60 ms mock (open loop), ms", textTable(["target", "rate", "p50", "p99", "errors"], fixedRows(result.fixedRate)));
  }
  if (result.memory.length > 0) parts.push("", "5. RSS, MiB", textTable(memoryHeader(result), memoryRows(result.memory)));
  if (result.skippedForTime.length > 0) parts.push("", `skipped for time (budget reached): ${result.skippedForTime.join(", ")}`);
  return parts.join("\n");
}

const GENERATOR_NAMES: Record<string, string> = {
  "grpc-go": "bench/grpc-load (grpc-go, one HTTP/2 connection, on core 1)",
  node: "the @grpc/grpc-js client, as Go was not found (it saturates its core near 1,500 calls/s, so those rows' max is the client's ceiling)",
  "not recorded": "a load generator this result does not record (it predates bench/grpc-load)",
};

/** Which load generator drove scenario 3's gRPC rows (bench/lib/grpc-load.ts replaces grpc-js when Go is installed). */
function grpcGeneratorNote(result: BenchResult): string {
  const grpcTargets = new Set(result.targets.filter((entry) => entry.protocol === "grpc").map((entry) => entry.name));
  const byGenerator = new Map<string, Set<string>>();
  for (const entry of result.capacity.filter((capacityCell) => grpcTargets.has(capacityCell.target))) {
    const generator = entry.loadGenerator ?? "not recorded";
    byGenerator.set(generator, (byGenerator.get(generator) ?? new Set<string>()).add(entry.target));
  }
  if (byGenerator.size === 0) return "";
  const parts = [...byGenerator].map(([generator, targets]) => `${[...targets].join(", ")} were driven by ${GENERATOR_NAMES[generator] ?? generator}`);
  return `Load generator: ${parts.join("; ")}; every other row by the Node clients (bench/lib/clients.ts).`;
}

/** Which rows of scenario 1 grpc-go drove (bench/lib/grpc-load.ts), when any did. */
function latencyGeneratorNote(result: BenchResult): string {
  const viaGo = result.latency.figures.filter((figure) => figure.loadGenerator === "grpc-go").map((figure) => figure.target);
  if (viaGo.length === 0) return "Every row was sent by the Node clients (bench/lib/clients.ts).";
  return `${viaGo.join(", ")} were sent one at a time by bench/grpc-load (grpc-go, on core 1), so their added latency is the gateway's and not the grpc-js client's; every other row by the Node clients (bench/lib/clients.ts).`;
}

/** Which rows of scenario 2 grpc-go streamed (bench/lib/grpc-load.ts `-streams`), when any did. */
function ttftGeneratorNote(result: BenchResult): string {
  const viaGo = result.ttft.paced.figures.filter((figure) => figure.loadGenerator === "grpc-go").map((figure) => figure.target);
  if (viaGo.length === 0) return "Every row was streamed by the Node clients (bench/lib/clients.ts).";
  return `${viaGo.join(", ")} were streamed one at a time by bench/grpc-load (grpc-go, on core 1), as in scenario 1; every other row by the Node clients (bench/lib/clients.ts).`;
}

function fixedRows(cells: LoadCell[]): string[][] {
  return cells.map((entry) => [entry.target, String(entry.level), ms(entry.p50Ms), ms(entry.p99Ms), `${entry.errors}${entry.dropped > 0 ? ` (+${entry.dropped} dropped)` : ""}`]);
}

function memoryHeader(result: BenchResult): string[] {
  const streams = result.memory.find((entry) => entry.streams !== undefined)?.streams ?? 1000;
  return ["gateway", "idle", "peak (load)", "after", `${streams} streams`, "streams ok"];
}

function memoryRows(memory: MemoryFigures[]): string[][] {
  return memory.map((entry) => [
    entry.gateway,
    mib(entry.idleMiB),
    mib(entry.peakMiB),
    mib(entry.afterMiB),
    mib(entry.streamsPeakMiB),
    entry.streams === undefined ? "–" : `${entry.streamsCompleted}/${entry.streams}${entry.streamsFirstError ? ` (${entry.streamsFirstError.slice(0, 60)})` : ""}`,
  ]);
}

function panels(result: BenchResult): Panel[] {
  const gateways = result.latency.figures.filter((figure) => figure.target !== "direct");
  const list: Panel[] = [
    {
      title: "Added latency, one request at a time (vs direct)",
      unit: "ms",
      series: [
        { name: "p50", color: [52, 120, 200] },
        { name: "p99", color: [230, 140, 40] },
      ],
      rows: gateways.map((figure) => ({ label: figure.target, values: [figure.addedP50Ms.median, figure.addedP99Ms.median] })),
    },
    {
      title: "Added time to first token (vs direct)",
      unit: "ms",
      series: [
        { name: `paced ${result.ttft.paced.deltas} x ${result.ttft.paced.gapMs} ms`, color: [60, 160, 90] },
        { name: "instant upstream", color: [150, 90, 180] },
      ],
      rows: result.ttft.paced.figures
        .filter((figure) => figure.target !== "direct")
        .map((figure) => ({ label: figure.target, values: [figure.addedTtftMs.median, result.ttft.instant.figures.find((entry) => entry.target === figure.target)?.addedTtftMs.median] })),
    },
  ];
  if (result.frontier.length > 0) {
    const direct = result.frontier.find((entry) => entry.target === "direct");
    list.push({
      title: `Capacity on one core, closed loop (direct: ${round(direct?.max.median ?? Number.NaN)} req/s)`,
      unit: "req/s",
      series: [
        { name: "p99 < 10 ms", color: [52, 120, 200] },
        { name: "p99 < 50 ms", color: [60, 160, 90] },
        { name: "max", color: [170, 170, 170] },
      ],
      rows: result.frontier.filter((entry) => entry.target !== "direct").map((entry) => ({ label: entry.target, values: [entry.under10Ms?.median, entry.under50Ms?.median, entry.max.median] })),
    });
  }
  return list;
}

const PUBLISHED = table(
  ["peer", "published figure (../shared/docs/benchmarking.md)"],
  [
    ["Portkey 1.15.2", "+1.7 ms p50 / +5.3 ms p99 added; added TTFT ≈ 28–31 ms; ~460–610 req/s on one core; RSS 110–210 MB"],
    ["LiteLLM proxy", "+4–8 ms added; ~324 req/s and 2.3 GB RSS on 2 vCPU; fails at 1,000 QPS (TensorZero's test)"],
  ],
);

/**
 * The targets, judged on this run. Against the framework: modelgate's added p50 within 0.25 ms and its
 * added time to first token within 0.5 ms of connect-node's null handler on the same protocol, every delta
 * delivered, none buffered. Against Portkey: ≥ 1.5× better added p50, ≥ 3× better added time to first
 * token, ≥ 2× its capacity on one core. Memory: idle ≤ 60 MB, ≤ 200 MB with the streams open.
 */
function targetRows(result: BenchResult): string[][] {
  const verdict = (pass: boolean | undefined): string => (pass === undefined ? "not measured" : pass ? "PASS" : "FAIL");
  const rows: string[][] = [];
  const protocols = ["connect-h1", "connect-h2c", "grpc"];
  const latencyOf = (target: string) => result.latency.figures.find((figure) => figure.target === target && figure.error === undefined);
  const ttftSets = [["paced", result.ttft.paced.figures], ["instant", result.ttft.instant.figures]] as const;
  const capacityOf = (target: string): number | undefined => result.frontier.find((entry) => entry.target === target)?.under50Ms?.median;
  for (const protocol of protocols) {
    const gateway = latencyOf(`modelgate/${protocol}`);
    const framework = latencyOf(`null/${protocol}`);
    const over = gateway === undefined || framework === undefined ? undefined : gateway.addedP50Ms.median - framework.addedP50Ms.median;
    rows.push([`added p50 over the null handler, ${protocol}`, "≤ 0.25 ms", over === undefined ? "–" : `${round(over)} ms`, verdict(over === undefined ? undefined : over <= 0.25)]);
  }
  for (const [label, figures] of ttftSets) {
    for (const protocol of protocols) {
      const gateway = figures.find((figure) => figure.target === `modelgate/${protocol}`);
      // The null handler does not pace its deltas: it is a floor for the instant upstream only.
      const framework = label === "instant" ? figures.find((figure) => figure.target === `null/${protocol}`) : undefined;
      if (gateway === undefined) continue;
      const delivered = gateway.errors === 0 && gateway.wrongDeltaCount === 0 && !gateway.buffered;
      const over = framework === undefined ? undefined : gateway.addedTtftMs.median - framework.addedTtftMs.median;
      const deltas = delivered ? "all deltas, unbuffered" : `${gateway.wrongDeltaCount} wrong, ${gateway.errors} errors${gateway.buffered ? ", BUFFERED" : ""}`;
      if (label === "paced") {
        rows.push([`every delta, unbuffered (paced), ${protocol}`, "all deltas, not buffered", deltas, verdict(delivered)]);
        continue;
      }
      rows.push([`added TTFT over the null handler (${label}), ${protocol}`, "≤ 0.5 ms, all deltas, not buffered", `${over === undefined ? "–" : `${round(over)} ms`}, ${deltas}`, verdict(over === undefined ? undefined : delivered && over <= 0.5)]);
    }
  }
  const portkeyLatency = latencyOf("portkey");
  const portkeyTtft = result.ttft.paced.figures.find((figure) => figure.target === "portkey");
  const portkeyCapacity = capacityOf("portkey");
  for (const protocol of protocols) {
    const target = `modelgate/${protocol}`;
    const gateway = latencyOf(target);
    const p50Ratio = gateway === undefined || portkeyLatency === undefined ? undefined : portkeyLatency.addedP50Ms.median / gateway.addedP50Ms.median;
    rows.push([`added p50 vs Portkey, ${protocol}`, "≥ 1.5× better", p50Ratio === undefined ? "–" : `${round(p50Ratio)}×`, verdict(p50Ratio === undefined ? undefined : p50Ratio >= 1.5)]);
    const ttft = result.ttft.paced.figures.find((figure) => figure.target === target);
    const ttftRatio = ttft === undefined || portkeyTtft === undefined ? undefined : portkeyTtft.addedTtftMs.median / ttft.addedTtftMs.median;
    rows.push([`added TTFT (paced) vs Portkey, ${protocol}`, "≥ 3× better", ttftRatio === undefined ? "–" : `${round(ttftRatio)}×`, verdict(ttftRatio === undefined ? undefined : ttftRatio >= 3)]);
    const capacity = capacityOf(target);
    const capacityRatio = capacity === undefined || portkeyCapacity === undefined ? undefined : capacity / portkeyCapacity;
    rows.push([`capacity on one core vs Portkey, ${protocol}`, "≥ 2×", capacityRatio === undefined ? "–" : `${round(capacityRatio)}× (${round(capacity ?? 0)} req/s)`, verdict(capacityRatio === undefined ? undefined : capacityRatio >= 2)]);
  }
  const memory = result.memory.find((entry) => entry.gateway === "modelgate");
  if (memory !== undefined) {
    rows.push(["RSS idle", "≤ 60 MB", `${mib(memory.idleMiB)} MiB`, verdict(memory.idleMiB <= 60)]);
    if (memory.streams !== undefined) {
      const pass = memory.streamsPeakMiB !== undefined && memory.streamsPeakMiB <= 200 && memory.streamsCompleted === memory.streams;
      rows.push([`RSS with ${memory.streams} streams open`, "≤ 200 MB, every stream completes", `${mib(memory.streamsPeakMiB)} MiB, ${memory.streamsCompleted}/${memory.streams} completed`, verdict(pass)]);
    }
  }
  return rows;
}

/** Writes bench/RESULTS.md and bench/results/chart.png for a full or quick run. */
export function writeReport(result: BenchResult, jsonFile: string): void {
  const meta = result.metadata;
  writeFileSync(path.join(benchDirectory, "results", "chart.png"), drawChart(panels(result), `modelgate bench ${result.mode}, ${meta.startedAt}, commit ${meta.commit?.slice(0, 10) ?? "?"}, ${meta.cpu.model}, node ${meta.node}`));
  const frameworkRows = ["connect-h1", "connect-h2c", "grpc"].flatMap((protocol) => {
    const gateway = result.latency.figures.find((figure) => figure.target === `modelgate/${protocol}`);
    const framework = result.latency.figures.find((figure) => figure.target === `null/${protocol}`);
    if (gateway === undefined || framework === undefined) return [];
    const capacityOf = (name: string): string => mib(result.frontier.find((entry) => entry.target === name)?.max.median);
    return [[protocol, ms(framework.addedP50Ms), ms(gateway.addedP50Ms), `${round(gateway.addedP50Ms.median - framework.addedP50Ms.median)}`, capacityOf(`null/${protocol}`), capacityOf(`modelgate/${protocol}`)]];
  });
  const skipped = result.gateways.filter((entry) => entry.status !== "ran");
  const markdown = [
    `# Benchmark results (${result.mode === "full" ? "full run" : "quick run, preliminary"})`,
    "",
    "Generated by `bench/run.ts`; how to run it and how to read it: [docs/benchmarks.md](../docs/benchmarks.md). Every figure is",
    "median (min–max) over repeats or interleaved rounds. Gateways ran pinned to core 0, the mock upstream and the load generator to core 1.",
    "",
    table(
      ["", ""],
      [
        ["mode / seed", `${result.mode} / ${result.seed}`],
        ["when", meta.startedAt],
        ["commit", `${meta.commit ?? "?"}${meta.dirty ? " (with uncommitted changes)" : ""}`],
        ["machine", `${meta.cpu.model}, ${meta.cpu.cores} cores, ${meta.os}; pinned: ${meta.pinned ? "yes" : "no"}`],
        [
          "node",
          `${meta.node}; modelgate and the null handler with ${meta.gatewayNodeFlags === undefined || meta.gatewayNodeFlags.length === 0 ? "no flags" : meta.gatewayNodeFlags.join(" ")}` +
            Object.entries(meta.gatewayEnvironment ?? {})
              .map(([name, value]) => `, ${name}=${value}`)
              .join(""),
        ],
        ["kernel memory monitors (DAMON)", meta.memoryMonitors === undefined ? "not recorded" : meta.memoryMonitors.length === 0 ? "none" : meta.memoryMonitors.join(", ")],
        ["load average start → end", `${meta.loadAverageAtStart.map((value) => value.toFixed(2)).join(" ")} → ${meta.loadAverageAtEnd.map((value) => value.toFixed(2)).join(" ")}`],
        ["versions", Object.entries(meta.versions).map(([name, version]) => `${name} ${version ?? "–"}`).join(", ")],
        ["raw result", `[${jsonFile}](${jsonFile})`],
        ["duration", `${meta.durationSeconds.toFixed(0)} s`],
        ["warm-up per target", result.warmup === undefined ? "none recorded" : `${result.warmup.unaryMs} ms of unary calls, then ${result.warmup.streamMs} ms of streams, ${(result.warmup.concurrency ?? 8) === 1 ? "one at a time" : `c=${result.warmup.concurrency ?? 8}`} (see docs/benchmarks.md)`],
      ],
    ),
    "",
    // The run itself keeps about two cores busy; more than that at the end, or load before it began, is someone else.
    (meta.loadAverageAtStart[0] ?? 0) > meta.cpu.cores / 2 || (meta.loadAverageAtEnd[0] ?? 0) > meta.cpu.cores + 1
      ? `> **The machine was busy** (1-minute load average ${(meta.loadAverageAtStart[0] ?? 0).toFixed(1)} at the start, ${(meta.loadAverageAtEnd[0] ?? 0).toFixed(1)} at the end, on ${meta.cpu.cores} cores): these figures are inflated and only roughly comparable to each other. Rerun on a quiet machine.\n`
      : "",
    skipped.length > 0 ? `Lanes not run: ${skipped.map((entry) => `**${entry.gateway}** (${entry.status})`).join("; ")}.\n` : "",
    "![added latency, added time to first token and capacity per target](results/chart.png)",
    "",
    "## Targets, judged on this run",
    "",
    table(["target", "goal", "measured (median)", "verdict"], targetRows(result)),
    "",
    `## 1. Added latency at one request at a time (instant mock, ${result.latency.figures[0]?.samplesPerRound ?? 0} requests × rounds)`,
    "",
    table(
      ["target", "p50 ms", "p99 ms", "added p50 ms", "added p99 ms"],
      result.latency.figures.map((figure) => [figure.target, ms(figure.p50Ms), ms(figure.p99Ms), figure.target === "direct" ? "–" : ms(figure.addedP50Ms), figure.target === "direct" ? "–" : ms(figure.addedP99Ms)]),
    ),
    "",
    latencyGeneratorNote(result),
    "",
    `Rig floor (direct p50): ${round(result.latency.floorMs)} ms. ${result.latency.saturatedRounds.length === 0 ? "No round saturated." : `Rounds ${result.latency.saturatedRounds.join(", ")} had direct p99 > 2 × floor: ${result.latency.discardedSaturated ? "discarded" : "kept (too many to discard): treat these figures with care"}.`}`,
    "",
    `## 2. Added time to first token (${result.ttft.paced.deltas} deltas every ${result.ttft.paced.gapMs} ms; and an instant upstream)`,
    "",
    table(["target", "TTFT ms", "added ms", "delta gap ms", "deltas", "buffering"], streamRows(result.ttft.paced.figures, result.ttft.paced.deltas)),
    "",
    `Instant upstream (${result.ttft.instant.deltas} deltas at once):`,
    "",
    table(["target", "TTFT ms", "added ms", "delta gap ms", "deltas", "buffering"], streamRows(result.ttft.instant.figures, result.ttft.instant.deltas)),
    "",
    ttftGeneratorNote(result),
    "",
    "## 3. Capacity frontier on one core (closed loop, instant mock)",
    "",
    result.frontier.length === 0
      ? "Not run in this mode."
      : [
          table(
            ["target", "req/s with p99 < 10 ms", "req/s with p99 < 50 ms", "max req/s"],
            result.frontier.map((entry) => [
              entry.target,
              entry.under10Ms ? `${ms(entry.under10Ms)} at c=${entry.under10Ms.concurrency}` : "none",
              entry.under50Ms ? `${ms(entry.under50Ms)} at c=${entry.under50Ms.concurrency}` : "none",
              `${ms(entry.max)} at c=${entry.max.concurrency}`,
            ]),
          ),
          "",
          grpcGeneratorNote(result),
          "",
          "<details><summary>every cell</summary>\n",
          table(["target", "c", "req/s", "p50 ms", "p99 ms", "errors"], result.capacity.map((entry) => [entry.target, String(entry.level), ms(entry.requestsPerSecond), ms(entry.p50Ms), ms(entry.p99Ms), `${entry.errors}${entry.firstError ? ` (${entry.firstError.slice(0, 60)})` : ""}`])),
          "\n</details>",
        ].join("\n"),
    "",
    "## 4. Latency at fixed rates against the 60 ms mock (open loop, from the scheduled send time)",
    "",
    result.fixedRate.length === 0 ? "Not run in this mode." : table(["target", "req/s offered", "p50 ms", "p99 ms", "errors"], fixedRows(result.fixedRate)),
    "",
    "## 5. Memory (RSS of the process tree, MiB)",
    "",
    result.memory.length === 0 ? "Not run in this mode." : table(memoryHeader(result), memoryRows(result.memory)),
    "",
    "## 6. Framework cost and gateway cost (null connect-node handler vs modelgate, same protocol)",
    "",
    frameworkRows.length === 0
      ? "Not available in this run."
      : table(["protocol", "null handler added p50 ms", "modelgate added p50 ms", "gateway's own share ms", "null max req/s", "modelgate max req/s"], frameworkRows),
    "",
    "## Published peer figures, for comparison",
    "",
    PUBLISHED,
    "",
    result.skippedForTime.length > 0 ? `Skipped for time: ${result.skippedForTime.join(", ")}.\n` : "",
  ].join("\n");
  writeFileSync(path.join(benchDirectory, "RESULTS.md"), `${markdown.replace(/\n{3,}/g, "\n\n")}\n`);
}
