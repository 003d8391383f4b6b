/**
 * The dashboard's time series and its uPlot charts. The page keeps the last `HISTORY_SECONDS` of
 * snapshots per deployment (the server sends only the present); each deployment card has a latency
 * chart (p50/p95/p99 and TTFT p50) and a traffic chart (requests per second, error rate, and the
 * periods its breaker was open shaded red), and the overview shows every deployment's requests per
 * second on one chart.
 */
import uPlot from "uplot";

/** How much history the charts show. */
export const HISTORY_SECONDS = 180;

/** One deployment's samples, oldest first; null where a value was not known. */
export interface DeploymentHistory {
  /** Unix seconds (uPlot's time unit). */
  time: number[];
  attemptsPerSecond: (number | null)[];
  errorPercent: (number | null)[];
  p50: (number | null)[];
  p95: (number | null)[];
  p99: (number | null)[];
  ttftP50: (number | null)[];
  breakerOpen: boolean[];
}

export interface HistorySample {
  timeUnixMs: number;
  attemptsPerSecond?: number;
  errorRate: number;
  p50?: number;
  p95?: number;
  p99?: number;
  ttftP50?: number;
  breakerOpen: boolean;
}

export function createHistory(): DeploymentHistory {
  return { time: [], attemptsPerSecond: [], errorPercent: [], p50: [], p95: [], p99: [], ttftP50: [], breakerOpen: [] };
}

/** Appends a sample and drops what fell out of the window. */
export function pushSample(history: DeploymentHistory, sample: HistorySample): void {
  const seconds = sample.timeUnixMs / 1_000;
  history.time.push(seconds);
  history.attemptsPerSecond.push(sample.attemptsPerSecond ?? null);
  history.errorPercent.push(sample.errorRate * 100);
  history.p50.push(sample.p50 ?? null);
  history.p95.push(sample.p95 ?? null);
  history.p99.push(sample.p99 ?? null);
  history.ttftP50.push(sample.ttftP50 ?? null);
  history.breakerOpen.push(sample.breakerOpen);
  let drop = 0;
  while (drop < history.time.length && history.time[drop] < seconds - HISTORY_SECONDS) drop++;
  if (drop > 0) for (const series of Object.values(history)) (series as unknown[]).splice(0, drop);
}

const palette = {
  axis: "#8b93a7",
  grid: "rgba(139,147,167,0.14)",
  p50: "#6c8cff",
  p95: "#b18cff",
  p99: "#ff8cc6",
  ttft: "#3ecfcf",
  traffic: "#3ecf8e",
  errors: "#ff5d5d",
  open: "rgba(255,93,93,0.16)",
};

/** Colours for the overview's lines, one per deployment in name order. */
export const SERIES_COLOURS = ["#6c8cff", "#3ecf8e", "#f5b942", "#ff8cc6", "#3ecfcf", "#b18cff", "#ff9f5a", "#9be15d"];

/** A y axis (left, or right with `side` 1); uPlot's defaults stay for whatever is not set here. */
const axis = (label?: string, side?: 1): uPlot.Axis => ({
  stroke: palette.axis,
  grid: { stroke: palette.grid, width: 1 },
  ticks: { show: false },
  font: "11px system-ui, sans-serif",
  size: 44,
  gap: 4,
  ...(side === undefined ? {} : { side }),
  ...(label === undefined ? {} : { label, labelSize: 14, labelFont: "11px system-ui, sans-serif" }),
});

const clock = new Intl.DateTimeFormat(undefined, { hour: "2-digit", minute: "2-digit", second: "2-digit", hour12: false });

/** The time axis: wall-clock times, one line. */
const timeAxis = (): uPlot.Axis => ({
  stroke: palette.axis,
  grid: { stroke: palette.grid, width: 1 },
  ticks: { show: false },
  font: "11px system-ui, sans-serif",
  size: 24,
  gap: 4,
  space: 70,
  // Whole seconds and up: a short history must not repeat one second's label.
  incrs: [1, 2, 5, 10, 15, 30, 60, 120, 300, 600],
  values: (_self, ticks) => ticks.map((tick) => clock.format(tick * 1_000)),
});

/** The time scale: from the oldest sample, at most `HISTORY_SECONDS` back, to the newest. */
const timeScale = (): uPlot.Scale => ({
  time: true,
  range: (_self, min, max) => [Math.max(min, max - HISTORY_SECONDS), Math.max(max, min + 1)],
});

const line = (label: string, stroke: string, extra: Partial<uPlot.Series> = {}): uPlot.Series => ({
  label,
  stroke,
  width: 1.6,
  points: { show: false },
  spanGaps: false,
  ...extra,
});

/** Shades the periods in which `open[i]` holds, behind the series. */
function breakerBands(history: () => DeploymentHistory): uPlot.Plugin {
  return {
    hooks: {
      drawClear: [
        (chart: uPlot) => {
          const { time, breakerOpen } = history();
          const { ctx, bbox } = chart;
          ctx.save();
          ctx.fillStyle = palette.open;
          let start: number | undefined;
          for (let index = 0; index <= time.length; index++) {
            const open = index < time.length && breakerOpen[index];
            if (open && start === undefined) start = index;
            if (!open && start !== undefined) {
              const left = chart.valToPos(time[start], "x", true);
              const right = index < time.length ? chart.valToPos(time[index], "x", true) : bbox.left + bbox.width;
              ctx.fillRect(Math.max(bbox.left, left), bbox.top, Math.max(2, right - left), bbox.height);
              start = undefined;
            }
          }
          ctx.restore();
        },
      ],
    },
  };
}

export interface ChartHandle {
  update(): void;
  resize(width: number): void;
  destroy(): void;
}

const CHART_HEIGHT = 120;

/** A still chart: a legend without live values, no zoom by dragging. */
function still(options: uPlot.Options, legend = true): uPlot.Options {
  return { ...options, legend: { show: legend, live: false }, cursor: { drag: { x: false, y: false }, points: { show: false } } };
}

/** Latency percentiles of successful attempts, and TTFT p50 dashed. */
export function createLatencyChart(target: HTMLElement, history: () => DeploymentHistory, width: number): ChartHandle {
  const data = (): uPlot.AlignedData => {
    const h = history();
    return [h.time, h.p50, h.p95, h.p99, h.ttftP50];
  };
  const chart = new uPlot(
    still({
      width,
      height: CHART_HEIGHT,
      scales: { x: timeScale(), y: { range: (_self, _min, max) => [0, Math.max(10, max * 1.1)] } },
      axes: [timeAxis(), { ...axis(), values: (_self, ticks) => ticks.map((tick) => (tick >= 1_000 ? `${tick / 1_000}s` : `${tick}`)) }],
      series: [{}, line("p50", palette.p50, { width: 2 }), line("p95", palette.p95), line("p99", palette.p99), line("TTFT p50", palette.ttft, { dash: [4, 3] })],
    }),
    data(),
    target,
  );
  return { update: () => chart.setData(data()), resize: (next) => chart.setSize({ width: next, height: CHART_HEIGHT }), destroy: () => chart.destroy() };
}

/** Requests per second (filled) and the error rate in percent on its own axis; open breaker periods shaded. */
export function createTrafficChart(target: HTMLElement, history: () => DeploymentHistory, width: number): ChartHandle {
  const data = (): uPlot.AlignedData => {
    const h = history();
    return [h.time, h.attemptsPerSecond, h.errorPercent];
  };
  const chart = new uPlot(
    still({
      width,
      height: CHART_HEIGHT,
      plugins: [breakerBands(history)],
      scales: { x: timeScale(), y: { range: (_self, _min, max) => [0, Math.max(1, max * 1.15)] }, errors: { range: [0, 100] } },
      axes: [timeAxis(), axis(), { ...axis(undefined, 1), scale: "errors", grid: { show: false }, values: (_self, ticks) => ticks.map((tick) => `${tick}%`) }],
      series: [
        {},
        line("req/s", palette.traffic, { width: 2, fill: "rgba(62,207,142,0.14)" }),
        line("errors", palette.errors, { scale: "errors", width: 1.6 }),
      ],
    }),
    data(),
    target,
  );
  return { update: () => chart.setData(data()), resize: (next) => chart.setSize({ width: next, height: CHART_HEIGHT }), destroy: () => chart.destroy() };
}

/** Every deployment's requests per second, one line each; rebuilt when the set of deployments changes. */
export function createOverviewChart(
  target: HTMLElement,
  names: readonly string[],
  histories: () => ReadonlyMap<string, DeploymentHistory>,
  width: number,
): ChartHandle {
  const data = (): uPlot.AlignedData => {
    const all = histories();
    // Deployments are sampled together, so the newest history's times serve for every line; older
    // histories (a deployment that appeared later) are aligned by time.
    let time: number[] = [];
    for (const history of all.values()) if (history.time.length > time.length) time = history.time;
    const columns = names.map((name) => {
      const history = all.get(name);
      const byTime = new Map<number, number | null>();
      history?.time.forEach((second, index) => byTime.set(second, history.attemptsPerSecond[index]));
      return time.map((second) => byTime.get(second) ?? null);
    });
    return [time, ...columns];
  };
  const chart = new uPlot(
    still({
      width,
      height: 150,
      scales: { x: timeScale(), y: { range: (_self, _min, max) => [0, Math.max(1, max * 1.15)] } },
      axes: [timeAxis(), axis("req/s")],
      series: [{}, ...names.map((name, index) => line(name, SERIES_COLOURS[index % SERIES_COLOURS.length], { width: 2 }))],
    }, false),
    data(),
    target,
  );
  return { update: () => chart.setData(data()), resize: (next) => chart.setSize({ width: next, height: 150 }), destroy: () => chart.destroy() };
}
