/**
 * The `/dashboard` page, bundled for the browser by src/server/pages/page-assets.ts. It watches the gateway that
 * served it with WatchHealth over Connect (connect-web, same origin) and redraws on every snapshot:
 * summary tiles, an overview chart, one card per deployment (breaker, percentiles, rates, cost, two
 * charts), the aliases' traffic splits and the recent fallbacks. The server ends each watch before its
 * deadline; the page watches again at once, and after a failure with a growing pause (1 s to 10 s).
 * When the gateway checks caller keys, the page asks for one and keeps it for the tab's session only.
 */
import { Code, ConnectError, createClient, type Interceptor } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-web";
import { GatewayService, SharedState, type WatchHealthResponse } from "../../../gen/modelgate/v1/gateway_service_pb.js";
import type { AliasSplit, DeploymentHealth, RecentFallback } from "../../../gen/modelgate/v1/health_pb.js";
import { BreakerState } from "../../../gen/modelgate/v1/models_pb.js";
import { RoutingStrategy } from "../../../gen/modelgate/v1/routing_pb.js";
import {
  createHistory,
  createLatencyChart,
  createOverviewChart,
  createTrafficChart,
  pushSample,
  SERIES_COLOURS,
  type ChartHandle,
  type DeploymentHistory,
} from "./charts.js";
import { byId, element } from "./dom.js";
import { formatAgo, formatMicroUsd, formatMs, formatPercent, formatRate, formatReason, healthTone, UNKNOWN, type BreakerName } from "./format.js";

const KEY_STORAGE = "modelgate-dashboard-key";

/** Sends the caller key the person gave, if any (the gateway may check keys: src/callers/). */
const callerKey: Interceptor = (next) => (request) => {
  const key = sessionStorage.getItem(KEY_STORAGE);
  if (key !== null && key !== "") request.header.set("authorization", `Bearer ${key}`);
  return next(request);
};

const client = createClient(GatewayService, createConnectTransport({ baseUrl: window.location.origin, interceptors: [callerKey] }));

const ui = {
  connection: byId("connection", HTMLSpanElement),
  sharedState: byId("shared-state", HTMLSpanElement),
  updated: byId("updated", HTMLSpanElement),
  summary: byId("summary", HTMLElement),
  overview: byId("overview-chart", HTMLDivElement),
  overviewLegend: byId("overview-legend", HTMLDivElement),
  deployments: byId("deployments", HTMLElement),
  aliases: byId("alias-list", HTMLDivElement),
  fallbacks: byId("fallback-list", HTMLOListElement),
  keyForm: byId("key-form", HTMLFormElement),
  key: byId("key", HTMLInputElement),
};

const breakerNames: Record<BreakerState, BreakerName> = {
  [BreakerState.UNSPECIFIED]: "unknown",
  [BreakerState.CLOSED]: "closed",
  [BreakerState.OPEN]: "open",
  [BreakerState.HALF_OPEN]: "half-open",
};

const sharedStateText: Record<SharedState, string> = {
  [SharedState.UNSPECIFIED]: "",
  [SharedState.MEMORY]: "this replica's view",
  [SharedState.REDIS]: "all replicas' view (Redis)",
  [SharedState.LOCAL_FALLBACK]: "this replica only: Redis is not answering",
};

/** One deployment's card and charts, kept across snapshots and updated in place. */
interface Card {
  root: HTMLElement;
  breaker: HTMLSpanElement;
  values: Map<string, HTMLElement>;
  footer: HTMLElement;
  history: DeploymentHistory;
  charts: ChartHandle[];
}

const cards = new Map<string, Card>();
const histories = new Map<string, DeploymentHistory>();
let overview: { names: string; chart: ChartHandle } | undefined;

function setConnection(state: "connecting" | "live" | "retrying" | "failed", text: string): void {
  ui.connection.dataset.state = state;
  ui.connection.textContent = text;
}

const KPIS: readonly (readonly [key: string, label: string])[] = [
  ["rps", "req/s"],
  ["errors", "errors"],
  ["p50", "p50"],
  ["p95", "p95"],
  ["p99", "p99"],
  ["ttft", "TTFT p50 / p95"],
  ["cost", "cost / request"],
  ["inflight", "in flight"],
];

function chartWidth(container: HTMLElement): number {
  return Math.max(200, Math.floor(container.clientWidth));
}

function createCard(name: string): Card {
  const root = element("article", "", "card");
  root.dataset.deployment = name;
  const title = element("header");
  const breaker = element("span", "", "breaker");
  title.append(element("h3", name), breaker);
  const kpis = element("div", "", "kpis");
  const values = new Map<string, HTMLElement>();
  for (const [key, label] of KPIS) {
    const value = element("strong", UNKNOWN);
    value.dataset.kpi = key;
    values.set(key, value);
    const cell = element("div", "", "kpi");
    cell.append(value, element("span", label));
    kpis.append(cell);
  }
  const latency = element("div", "", "chart");
  const traffic = element("div", "", "chart");
  const footer = element("footer");
  root.append(title, kpis, element("h4", "latency"), latency, element("h4", "traffic · error rate · breaker open"), traffic, footer);
  ui.deployments.append(root);
  const history = histories.get(name) ?? createHistory();
  histories.set(name, history);
  const width = chartWidth(latency);
  const charts = [createLatencyChart(latency, () => history, width), createTrafficChart(traffic, () => history, width)];
  return { root, breaker, values, footer, history, charts };
}

function updateCard(card: Card, health: DeploymentHealth): void {
  const stats = health.stats;
  if (stats === undefined) return;
  const breaker = breakerNames[stats.breakerState] ?? "unknown";
  card.root.dataset.tone = healthTone(breaker, stats.recentErrorRate);
  card.breaker.dataset.state = breaker;
  const retryAt = stats.breakerRetryAtUnixMs === undefined ? undefined : Number(stats.breakerRetryAtUnixMs);
  card.breaker.textContent =
    breaker === "open" && retryAt !== undefined ? `open · probe in ${Math.max(0, Math.ceil((retryAt - Date.now()) / 1_000))} s` : breaker;
  const set = (key: string, text: string): void => {
    const target = card.values.get(key);
    if (target !== undefined) target.textContent = text;
  };
  set("rps", formatRate(health.attemptsPerSecond));
  set("errors", formatPercent(stats.recentErrorRate));
  set("p50", formatMs(stats.latency?.p50Ms));
  set("p95", formatMs(stats.latency?.p95Ms));
  set("p99", formatMs(stats.latency?.p99Ms));
  set("ttft", `${formatMs(stats.timeToFirstToken?.p50Ms)} / ${formatMs(stats.timeToFirstToken?.p95Ms)}`);
  set("cost", formatMicroUsd(health.costPerRequestMicroUsd));
  set("inflight", String(stats.inFlight));
  card.values.get("errors")?.classList.toggle("bad", stats.recentErrorRate >= 0.05);
  const parts = [`${stats.attempts} attempts`, `${stats.failures} failed`, `${formatMicroUsd(Number(stats.costMicroUsd))} spent`];
  if (stats.unpricedAttempts > 0n) parts.push(`${stats.unpricedAttempts} unpriced`);
  if (stats.shadowComparisons > 0n) parts.push(`shadow agreement ${formatPercent(stats.shadowAgreement)} of ${stats.shadowComparisons}`);
  card.footer.textContent = parts.join(" · ");
}

function recordHistory(snapshot: WatchHealthResponse): void {
  const timeUnixMs = Number(snapshot.timeUnixMs);
  for (const health of snapshot.deployments) {
    const stats = health.stats;
    if (stats === undefined) continue;
    let history = histories.get(stats.deployment);
    if (history === undefined) {
      history = createHistory();
      histories.set(stats.deployment, history);
    }
    pushSample(history, {
      timeUnixMs,
      attemptsPerSecond: health.attemptsPerSecond,
      errorRate: stats.recentErrorRate,
      p50: stats.latency?.p50Ms,
      p95: stats.latency?.p95Ms,
      p99: stats.latency?.p99Ms,
      ttftP50: stats.timeToFirstToken?.p50Ms,
      breakerOpen: stats.breakerState === BreakerState.OPEN,
    });
  }
}

function renderSummary(snapshot: WatchHealthResponse): void {
  const deployments = snapshot.deployments.flatMap((health) => (health.stats === undefined ? [] : [{ health, stats: health.stats }]));
  const open = deployments.filter(({ stats }) => stats.breakerState === BreakerState.OPEN).length;
  const halfOpen = deployments.filter(({ stats }) => stats.breakerState === BreakerState.HALF_OPEN).length;
  const rates = deployments.map(({ health }) => health.attemptsPerSecond).filter((rate): rate is number => rate !== undefined);
  const totalRate = rates.length === 0 ? undefined : rates.reduce((sum, rate) => sum + rate, 0);
  const attempts = deployments.reduce((sum, { stats }) => sum + Number(stats.attempts), 0);
  const failures = deployments.reduce((sum, { stats }) => sum + Number(stats.failures), 0);
  const now = Number(snapshot.timeUnixMs);
  const lastMinute = snapshot.recentFallbacks.filter((fallback) => now - Number(fallback.timeUnixMs) < 60_000).length;
  const tiles: [string, string, string, "good" | "warn" | "bad" | "plain"][] = [
    ["healthy", `${deployments.length - open - halfOpen} / ${deployments.length}`, "deployments with a closed breaker", open > 0 ? "bad" : halfOpen > 0 ? "warn" : "good"],
    ["open", String(open), open === 1 ? "breaker open" : "breakers open", open > 0 ? "bad" : "good"],
    ["rps", formatRate(totalRate), "attempts per second", "plain"],
    ["failed", formatPercent(attempts === 0 ? undefined : failures / attempts), "of attempts failed since start", "plain"],
    ["fallbacks", String(lastMinute), "fallbacks in the last minute", lastMinute > 0 ? "warn" : "good"],
  ];
  ui.summary.replaceChildren(
    ...tiles.map(([key, value, label, tone]) => {
      const tile = element("div", "", "tile");
      tile.dataset.tile = key;
      tile.dataset.tone = tone;
      tile.append(element("strong", value), element("span", label));
      return tile;
    }),
  );
}

function renderOverview(names: string[]): void {
  const key = names.join("\n");
  if (overview === undefined || overview.names !== key) {
    overview?.chart.destroy();
    ui.overview.replaceChildren();
    overview = { names: key, chart: createOverviewChart(ui.overview, names, () => histories, chartWidth(ui.overview)) };
    ui.overviewLegend.replaceChildren(
      ...names.map((name, index) => {
        const item = element("span", name, "swatch");
        item.style.setProperty("--swatch", SERIES_COLOURS[index % SERIES_COLOURS.length]);
        return item;
      }),
    );
  } else {
    overview.chart.update();
  }
}

const strategyNames: Partial<Record<RoutingStrategy, string>> = {
  [RoutingStrategy.PRIORITY]: "priority",
  [RoutingStrategy.COST]: "cost",
  [RoutingStrategy.LATENCY]: "latency",
  [RoutingStrategy.WEIGHTED]: "weighted",
  [RoutingStrategy.LEAST_BUSY]: "least busy",
  [RoutingStrategy.COST_UNDER_LATENCY_SLO]: "cost under latency SLO",
};

function renderAliases(aliases: AliasSplit[], breakers: Map<string, BreakerName>, agreement: Map<string, string>): void {
  ui.aliases.replaceChildren(
    ...aliases.map((alias) => {
      const block = element("div", "", "alias");
      block.dataset.alias = alias.alias;
      const title = element("div", "", "alias-title");
      title.append(element("strong", alias.alias), element("span", strategyNames[alias.strategy] ?? "", "muted"));
      block.append(title);
      alias.tiers.forEach((tier, index) => {
        const row = element("div", "", "tier");
        row.append(element("span", `tier ${index + 1}`, "tier-label"));
        const bar = element("div", "", "split");
        const weighted = alias.strategy === RoutingStrategy.WEIGHTED;
        for (const deployment of tier.deployments) {
          const share = weighted ? deployment.share : 1 / tier.deployments.length;
          const segment = element("span", weighted ? `${deployment.deployment} ${formatPercent(deployment.share)}` : deployment.deployment, "segment");
          segment.style.flexGrow = String(Math.max(share, 0.001));
          segment.dataset.state = breakers.get(deployment.deployment) ?? "unknown";
          segment.title = `${deployment.deployment}: weight ${deployment.weight}`;
          bar.append(segment);
        }
        row.append(bar);
        block.append(row);
      });
      if (alias.shadowDeployment !== "") {
        const shadow = element(
          "div",
          `shadow → ${alias.shadowDeployment}, ${formatPercent(alias.shadowShare)} of requests, agreement ${agreement.get(alias.shadowDeployment) ?? UNKNOWN}`,
          "shadow",
        );
        block.append(shadow);
      }
      return block;
    }),
  );
}

function renderFallbacks(fallbacks: RecentFallback[], now: number): void {
  if (fallbacks.length === 0) {
    ui.fallbacks.replaceChildren(element("li", "no fallbacks yet", "muted"));
    return;
  }
  ui.fallbacks.replaceChildren(
    ...fallbacks.map((fallback) => {
      const item = element("li");
      item.append(
        element("span", formatAgo(Number(fallback.timeUnixMs), now), "when"),
        element("span", fallback.fromDeployment, "from"),
        element("span", "→", "arrow"),
        element("span", fallback.toDeployment, "to"),
        element("span", formatReason(fallback.reason), "reason"),
        element("span", fallback.requestedModel, "muted"),
      );
      return item;
    }),
  );
}

function render(snapshot: WatchHealthResponse): void {
  recordHistory(snapshot);
  const now = Number(snapshot.timeUnixMs);
  ui.sharedState.textContent = sharedStateText[snapshot.sharedState] ?? "";
  ui.updated.textContent = `updated ${new Date(now).toLocaleTimeString()}`;
  renderSummary(snapshot);
  const names: string[] = [];
  const breakers = new Map<string, BreakerName>();
  const agreement = new Map<string, string>();
  for (const health of snapshot.deployments) {
    const stats = health.stats;
    if (stats === undefined) continue;
    names.push(stats.deployment);
    breakers.set(stats.deployment, breakerNames[stats.breakerState] ?? "unknown");
    if (stats.shadowComparisons > 0n) agreement.set(stats.deployment, formatPercent(stats.shadowAgreement));
    let card = cards.get(stats.deployment);
    if (card === undefined) {
      card = createCard(stats.deployment);
      cards.set(stats.deployment, card);
    }
    updateCard(card, health);
    for (const chart of card.charts) chart.update();
  }
  for (const [name, card] of cards) {
    if (names.includes(name)) continue;
    for (const chart of card.charts) chart.destroy();
    card.root.remove();
    cards.delete(name);
    histories.delete(name);
  }
  renderOverview(names);
  renderAliases(snapshot.aliases, breakers, agreement);
  renderFallbacks(snapshot.recentFallbacks, now);
}

const resizer = new ResizeObserver(() => {
  for (const card of cards.values()) {
    const container = card.root.querySelector<HTMLElement>(".chart");
    if (container !== null) for (const chart of card.charts) chart.resize(chartWidth(container));
  }
  overview?.chart.resize(chartWidth(ui.overview));
});
resizer.observe(document.body);

/** Watches until the page goes away: again at once after a clean end, after a pause after a failure. */
async function watchForever(): Promise<void> {
  let pauseMs = 1_000;
  for (;;) {
    try {
      setConnection("connecting", "connecting…");
      for await (const snapshot of client.watchHealth({})) {
        setConnection("live", "live");
        pauseMs = 1_000;
        render(snapshot);
      }
      continue;
    } catch (error) {
      const connectError = ConnectError.from(error);
      const fatal = connectError.code === Code.Unauthenticated || connectError.code === Code.PermissionDenied || connectError.code === Code.Unimplemented;
      setConnection(fatal ? "failed" : "retrying", fatal ? `cannot watch: ${connectError.rawMessage}` : `reconnecting: ${connectError.rawMessage}`);
      if (fatal) {
        if (connectError.code === Code.Unauthenticated || connectError.code === Code.PermissionDenied) ui.keyForm.hidden = false;
        return;
      }
    }
    await new Promise((resolve) => setTimeout(resolve, pauseMs));
    pauseMs = Math.min(10_000, pauseMs * 2);
  }
}

ui.keyForm.addEventListener("submit", (event) => {
  event.preventDefault();
  sessionStorage.setItem(KEY_STORAGE, ui.key.value.trim());
  ui.key.value = "";
  ui.keyForm.hidden = true;
  void watchForever();
});

void watchForever();
