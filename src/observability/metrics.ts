/**
 * Prometheus metrics (prom-client), served at `GET /metrics`. Names follow the OpenTelemetry GenAI
 * conventions where one fits (`gen_ai_server_request_duration_seconds`,
 * `gen_ai_server_time_to_first_token_seconds`, `gen_ai_client_token_usage`, with their bucket
 * boundaries), the rest are `modelgate_*`. Labels are bounded: a model label is a configured alias or
 * deployment or "other", a deployment label a configured deployment or "ad-hoc", a caller label a key's
 * id, a token policy's `jwt:<policy>` (never a token's subject) or "anonymous"; request ids and text never become labels.
 *
 * Everything a call produces is counted from its record (call-record.ts) once, when it ends; breaker
 * state and in-flight gauges are read from the engine's stats at scrape time (with Redis: every
 * replica's view, as GetDeploymentStats reports).
 */
import { collectDefaultMetrics, Counter, exponentialBuckets, Gauge, Histogram, Registry } from "prom-client";
import type { OverloadView } from "../gateway/overload-gate.js";
import type { CompletionEngine } from "../gateway/types.js";
import type { CallRecord } from "./call-record.js";

export interface GatewayMetrics {
  readonly registry: Registry;
  /** Counts a finished call: requests, latency, tokens, cost, attempts, retries, fallbacks. */
  observeCall(record: CallRecord): void;
  /** Prometheus text exposition. */
  scrape(): Promise<string>;
  contentType: string;
}

export interface GatewayMetricsOptions {
  /** Reads breaker state and in-flight per deployment at scrape time. */
  engine: () => Pick<CompletionEngine, "deploymentStats" | "listModels">;
  /** The overload gate's limit, running and waiting calls, read at scrape time. */
  overload?: () => OverloadView;
  /** Process metrics (CPU, memory, event loop lag, GC); on by default. */
  processMetrics?: boolean;
}

const BREAKER_STATES = ["closed", "half-open", "open"] as const;
/** The semconv's duration boundaries: 0.01, 0.02 … 81.92 s. */
const DURATION_BUCKETS = exponentialBuckets(0.01, 2, 14);
/** The semconv's time-to-first-token boundaries. */
const TTFT_BUCKETS = [0.001, 0.005, 0.01, 0.02, 0.04, 0.06, 0.08, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10];
/** The semconv's token boundaries: 1, 4, 16 … 67,108,864. */
const TOKEN_BUCKETS = exponentialBuckets(1, 4, 14);

/**
 * A metric's child per label values, made once: prom-client hashes a label object on every call
 * otherwise. Bounded, as the label values are (see the module comment).
 */
function childrenOf<Child>(labelNames: readonly string[], make: (labels: Record<string, string>) => Child): (...values: string[]) => Child {
  const cache = new Map<string, Child>();
  return (...values) => {
    const key = values.join("\u0001");
    let child = cache.get(key);
    if (child === undefined) {
      child = make(Object.fromEntries(labelNames.map((name, index) => [name, values[index] ?? ""])));
      cache.set(key, child);
    }
    return child;
  };
}

export function createGatewayMetrics(options: GatewayMetricsOptions): GatewayMetrics {
  const registry = new Registry();
  if (options.processMetrics !== false) collectDefaultMetrics({ register: registry, prefix: "modelgate_" });
  const registers = [registry];

  const requests = new Counter({
    name: "modelgate_requests_total",
    help: "Calls that ended, by requested model, serving deployment, caller, edge and status.",
    labelNames: ["model", "deployment", "caller", "edge", "status", "source"],
    registers,
  });
  const duration = new Histogram({
    name: "gen_ai_server_request_duration_seconds",
    help: "Time from receiving a call to its end (OpenTelemetry gen_ai.server.request.duration).",
    labelNames: ["gen_ai_operation_name", "gen_ai_request_model", "gen_ai_provider_name", "error_type"],
    buckets: DURATION_BUCKETS,
    registers,
  });
  const timeToFirstToken = new Histogram({
    name: "gen_ai_server_time_to_first_token_seconds",
    help: "Time from receiving a call to its first token (OpenTelemetry gen_ai.server.time_to_first_token).",
    labelNames: ["gen_ai_operation_name", "gen_ai_request_model", "gen_ai_provider_name"],
    buckets: TTFT_BUCKETS,
    registers,
  });
  const tokenUsage = new Histogram({
    name: "gen_ai_client_token_usage",
    help: "Tokens per upstream attempt the vendor reported, by type (OpenTelemetry gen_ai.client.token.usage).",
    labelNames: ["gen_ai_operation_name", "gen_ai_request_model", "gen_ai_provider_name", "gen_ai_token_type", "deployment"],
    buckets: TOKEN_BUCKETS,
    registers,
  });
  const tokens = new Counter({
    name: "modelgate_tokens_total",
    help: "Tokens the vendors reported, by deployment, caller and type (input, output).",
    labelNames: ["deployment", "caller", "type"],
    registers,
  });
  const cost = new Counter({
    name: "modelgate_cost_usd_total",
    help: "Cost of billed attempts in USD, by deployment and caller (priced attempts only).",
    labelNames: ["deployment", "caller"],
    registers,
  });
  const unpriced = new Counter({
    name: "modelgate_unpriced_requests_total",
    help: "Calls with a billed attempt whose cost is unknown (unpriced model or missing usage).",
    labelNames: ["deployment"],
    registers,
  });
  const attempts = new Counter({
    name: "modelgate_attempts_total",
    help: "Upstream attempts, by deployment and outcome (succeeded, failed, interrupted, canceled).",
    labelNames: ["deployment", "provider", "outcome", "reason"],
    registers,
  });
  const retries = new Counter({
    name: "modelgate_retries_total",
    help: "Attempts that retried the same deployment.",
    labelNames: ["deployment"],
    registers,
  });
  const fallbacks = new Counter({
    name: "modelgate_fallbacks_total",
    help: "Moves from one deployment to another within a call, with the reason the first failed.",
    labelNames: ["from", "to", "reason"],
    registers,
  });
  const answerSources = new Counter({
    name: "modelgate_answers_not_from_upstream_total",
    help: "Calls answered without the vendor: idempotent replays and cache hits.",
    labelNames: ["source"],
    registers,
  });
  const limitRejections = new Counter({
    name: "modelgate_limit_rejections_total",
    help: "Calls refused by a caller's limit or budget (RESOURCE_EXHAUSTED before any upstream call).",
    labelNames: ["caller"],
    registers,
  });

  const requestsOf = childrenOf(["model", "deployment", "caller", "edge", "status", "source"], (labels) => requests.labels(labels));
  const durationOf = childrenOf(["gen_ai_operation_name", "gen_ai_request_model", "gen_ai_provider_name", "error_type"], (labels) => duration.labels(labels));
  const timeToFirstTokenOf = childrenOf(["gen_ai_operation_name", "gen_ai_request_model", "gen_ai_provider_name"], (labels) => timeToFirstToken.labels(labels));
  const tokenUsageOf = childrenOf(["gen_ai_operation_name", "gen_ai_request_model", "gen_ai_provider_name", "gen_ai_token_type", "deployment"], (labels) =>
    tokenUsage.labels(labels),
  );
  const tokensOf = childrenOf(["deployment", "caller", "type"], (labels) => tokens.labels(labels));
  const costOf = childrenOf(["deployment", "caller"], (labels) => cost.labels(labels));
  const attemptsOf = childrenOf(["deployment", "provider", "outcome", "reason"], (labels) => attempts.labels(labels));

  const knownModels = (): Set<string> => {
    const catalog = options.engine().listModels();
    return new Set([...catalog.aliases.map((alias) => alias.name), ...catalog.deployments.map((deployment) => deployment.name)]);
  };
  const knownDeployments = (): Set<string> => new Set(options.engine().listModels().deployments.map((deployment) => deployment.name));
  // Re-read at most once a second: the catalog changes only on a config reload.
  let labelSets: { models: Set<string>; deployments: Set<string>; readAt: number } | undefined;
  const labels = (): { models: Set<string>; deployments: Set<string> } => {
    if (labelSets === undefined || Date.now() - labelSets.readAt > 1_000) {
      labelSets = { models: knownModels(), deployments: knownDeployments(), readAt: Date.now() };
    }
    return labelSets;
  };
  const modelLabel = (model: string | undefined): string => (model !== undefined && labels().models.has(model) ? model : "other");
  const deploymentLabel = (deployment: string | undefined): string =>
    deployment === undefined ? "none" : labels().deployments.has(deployment) ? deployment : "ad-hoc";

  new Gauge({
    name: "modelgate_breaker_state",
    help: "1 for each deployment's current circuit-breaker state (closed, half-open, open).",
    labelNames: ["deployment", "state"],
    registers,
    async collect() {
      this.reset();
      for (const stats of await options.engine().deploymentStats([])) {
        for (const state of BREAKER_STATES) this.set({ deployment: stats.deployment, state }, stats.breakerState === state ? 1 : 0);
      }
    },
  });
  new Gauge({
    name: "modelgate_in_flight_attempts",
    help: "Upstream attempts running now, per deployment.",
    labelNames: ["deployment"],
    registers,
    async collect() {
      this.reset();
      for (const stats of await options.engine().deploymentStats([])) this.set({ deployment: stats.deployment }, stats.inFlight);
    },
  });

  const overload = options.overload;
  if (overload !== undefined) {
    const gauge = (name: string, help: string, read: (view: OverloadView) => number): void => {
      new Gauge({
        name,
        help,
        registers,
        collect() {
          this.set(read(overload()));
        },
      });
    };
    gauge("modelgate_overload_concurrency_limit", "Completions the overload gate lets run at once now (it adapts to the event loop's delay).", (view) => view.limit);
    gauge("modelgate_overload_running_calls", "Completions holding a slot of the overload gate.", (view) => view.running);
    gauge("modelgate_overload_queued_calls", "Completions waiting for a slot of the overload gate.", (view) => view.queued);
    gauge("modelgate_overload_held_calls", "Of the completions waiting, those held at the edge before they are parsed.", (view) => view.held);
    new Counter({
      name: "modelgate_overload_refused_calls_total",
      help: "Completions refused (RATE_LIMITED, cause gateway_overloaded) because the overload gate's queue was full.",
      registers,
      collect() {
        this.reset();
        this.inc(overload().refused);
      },
    });
  }

  return {
    registry,
    contentType: registry.contentType,
    scrape: () => registry.metrics(),
    observeCall(record) {
      const model = modelLabel(record.model);
      const deployment = deploymentLabel(record.deployment);
      const caller = record.caller?.label ?? record.caller?.id ?? "anonymous";
      const provider = record.provider ?? "none";
      const operation = "chat";
      requestsOf(model, deployment, caller, record.edge, record.status, record.source).inc();
      durationOf(operation, model, provider, record.reason ?? "").observe(record.latencyMs / 1_000);
      if (record.timeToFirstTokenMs !== undefined) {
        timeToFirstTokenOf(operation, model, provider).observe(record.timeToFirstTokenMs / 1_000);
      }
      if (record.source !== "upstream") answerSources.inc({ source: record.source });
      if (record.status === "RESOURCE_EXHAUSTED" && record.attempts.length === 0) limitRejections.inc({ caller });
      // A replay or a cache hit carries the route of the call that was billed: counted there already.
      if (record.source !== "upstream") return;
      let unpricedCall = false;
      let previous: string | undefined;
      let previousReason: string | undefined;
      for (const attempt of record.attempts) {
        const attemptDeployment = deploymentLabel(attempt.deployment);
        attemptsOf(attemptDeployment, attempt.provider, attempt.outcome, attempt.reason ?? "").inc();
        if (attempt.retry > 0) retries.inc({ deployment: attemptDeployment });
        if (previous !== undefined && previous !== attemptDeployment) fallbacks.inc({ from: previous, to: attemptDeployment, reason: previousReason ?? "" });
        previous = attemptDeployment;
        previousReason = attempt.reason;
        const usage = attempt.usage;
        if (usage?.inputTokens !== undefined) {
          tokenUsageOf(operation, model, attempt.provider, "input", attemptDeployment).observe(usage.inputTokens);
          tokensOf(attemptDeployment, caller, "input").inc(usage.inputTokens);
        }
        if (usage?.outputTokens !== undefined) {
          tokenUsageOf(operation, model, attempt.provider, "output", attemptDeployment).observe(usage.outputTokens);
          tokensOf(attemptDeployment, caller, "output").inc(usage.outputTokens);
        }
        if (attempt.costMicroUsd !== undefined) costOf(attemptDeployment, caller).inc(attempt.costMicroUsd / 1_000_000);
        else if (usage !== undefined || attempt.outcome === "interrupted") unpricedCall = true;
      }
      if (unpricedCall) unpriced.inc({ deployment });
    },
  };
}
