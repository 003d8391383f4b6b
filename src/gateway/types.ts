/**
 * The gateway's own request, event and error types: what `server/` converts protobuf messages to and
 * from, and what the routing engine consumes and produces. Keeping these free of generated code means
 * routing and providers never import `gen/`.
 */
import type {
  ChatMessage,
  FinishReason,
  ResponseFormat,
  SamplingSettings,
  ToolCall,
  ToolChoice,
  ToolDefinition,
  Usage,
  CallWarning,
} from "../providers/spec.js";
import type { ErrorReason } from "./gateway-error.js";
import type { Context as TraceContext } from "@opentelemetry/api";

export { GatewayError, type ErrorReason, type FailureSummary, type FieldViolation } from "./gateway-error.js";

export type RoutingStrategy =
  | "priority"
  | "cost"
  | "latency"
  | "weighted"
  | "least-busy"
  | "cost-under-latency-slo";

export interface RoutingHints {
  strategy?: RoutingStrategy;
  latencySloMs?: number;
  maxCostMicroUsd?: number;
  tags: string[];
  metadata: Record<string, string>;
}

export interface FallbackPreferences {
  disableFallback: boolean;
  maxAttempts?: number;
  continueOnInterruption: boolean;
  fallbackOnContentFilter?: boolean;
}

/** A validated completion request (unary and stream share it). */
export interface GatewayRequest {
  /** An alias, a deployment name, or "provider/vendor-model". */
  model: string;
  messages: ChatMessage[];
  sampling: SamplingSettings;
  tools: ToolDefinition[];
  toolChoice?: ToolChoice;
  responseFormat?: ResponseFormat;
  /** Always set: the caller's, or one the server generated. */
  requestId: string;
  /**
   * Whether the caller supplied `requestId` (the body's request_id or the x-request-id header). Only
   * such ids name a run that a duplicate can join or a resume can continue (src/replay/); absent is false.
   */
  requestIdFromCaller?: boolean;
  routing: RoutingHints;
  fallback: FallbackPreferences;
  /** Use the exact cache (true) or bypass it (false); the alias's setting when absent (src/replay/). */
  cache?: boolean;
  /** A stream's resume: the position of the last event the caller received (src/replay/). */
  resumeAfterPosition?: number;
}

/** Per-call context the server hands the engine. */
export interface CallContext {
  /** Aborted when the caller cancels, the deadline passes or the server shuts down; its reason is a GatewayError. */
  signal: AbortSignal;
  /** Absolute deadline in the engine clock's milliseconds (Date.now() based). */
  deadlineAt: number;
  /** When the server received the request, same clock. */
  receivedAt: number;
  /**
   * The OpenTelemetry context the call's spans descend from: the caller's `traceparent` as the edge read
   * it, then the request span's once the engine's tracing started it (src/observability/tracing-engine.ts).
   */
  trace?: TraceContext;
  /**
   * Settles once the caller's limits admitted the call; rejects with their refusal. Checked while the
   * call goes on, so its round trip overlaps the engine's own (a request id's claim): no vendor is
   * called before it (src/routing/execute.ts) and no answer reaches the caller before it
   * (src/gateway/after-admission.ts, at every edge). Absent when nothing limits the caller.
   */
  admitted?: Promise<void>;
}

export type AttemptOutcome = "succeeded" | "failed" | "interrupted" | "canceled";

export interface AttemptRecord {
  deployment: string;
  provider: string;
  outcome: AttemptOutcome;
  /** An ErrorReason name without prefix when it failed. */
  reason?: ErrorReason;
  latencyMs: number;
  timeToFirstTokenMs?: number;
  usage?: Usage;
  costMicroUsd?: number;
  retry: number;
}

export interface RouteRecord {
  requestedModel: string;
  strategy: RoutingStrategy;
  deployment?: string;
  provider?: string;
  vendorModel?: string;
  attempts: AttemptRecord[];
  /** Where the answer came from; absent means upstream (src/replay/ sets the others). */
  source?: AnswerSource;
  /** A cache hit's original cost, not billed again. */
  savedCostMicroUsd?: number;
}

/** Generated for this call, a duplicate request id's replay of its one run, or an exact-cache hit. */
export type AnswerSource = "upstream" | "idempotent-replay" | "cache";

export interface Timings {
  timeToFirstTokenMs?: number;
  totalMs: number;
}

export interface GatewayResult {
  requestId: string;
  text: string;
  reasoning: string;
  toolCalls: ToolCall[];
  finishReason: FinishReason;
  rawFinishReason: string;
  usage: Usage;
  costMicroUsd?: number;
  route: RouteRecord;
  timings: Timings;
  warnings: GatewayWarning[];
}

export interface GatewayWarning extends CallWarning {
  deployment?: string;
}

/**
 * Stream events, in order: fallback*, start, (deltas | fallback)*, finish. `position` (from 1) is set by
 * the replay layer (src/replay/), which records streams so a caller can resume after a position.
 * `start` is sent at commit (just before the first content or the finish), so it names the deployment
 * that serves. Errors are thrown, never yielded.
 */
export type GatewayEvent = (
  | { type: "start"; requestId: string; deployment: string; provider: string }
  | { type: "fallback"; fromDeployment: string; toDeployment: string; reason: ErrorReason }
  | { type: "text-delta"; text: string }
  | { type: "reasoning-delta"; text: string }
  | { type: "tool-call-delta"; index: number; id?: string; name?: string; argumentsDelta: string }
  | {
      type: "finish";
      finishReason: FinishReason;
      rawFinishReason: string;
      usage: Usage;
      costMicroUsd?: number;
      route: RouteRecord;
      timings: Timings;
      warnings: GatewayWarning[];
      toolCalls: ToolCall[];
    }
) & { position?: number };

/**
 * Where breakers, routing inputs and stats live: this replica's memory (no Redis configured), Redis
 * shared with every replica, or this replica's memory because the configured Redis is not answering.
 */
export type SharedStateStatus = "memory" | "shared" | "local";

/** The engine the server calls: routing, fallback, retries, breakers, accounting. */
export interface CompletionEngine {
  complete(request: GatewayRequest, context: CallContext): Promise<GatewayResult>;
  stream(request: GatewayRequest, context: CallContext): AsyncIterable<GatewayEvent>;
  listModels(): ModelCatalog;
  deploymentStats(names: string[]): Promise<DeploymentStatsView[]>;
  close(): Promise<void>;
}

export interface ModelCatalog {
  aliases: { name: string; strategy: RoutingStrategy; tiers: string[][] }[];
  deployments: {
    name: string;
    provider: string;
    providerKind: string;
    vendorModel: string;
    contextWindow: number;
    price?: { inputNanoUsd: number; cachedInputNanoUsd: number; outputNanoUsd: number; asOf: string };
    capabilities: { tools: boolean; images: boolean; jsonSchema: boolean; assistantPrefix: boolean };
  }[];
}

export interface LatencySummaryView {
  p50Ms?: number;
  p95Ms?: number;
  p99Ms?: number;
  ewmaMs?: number;
  samples: number;
}

export interface DeploymentStatsView {
  deployment: string;
  attempts: number;
  failures: number;
  recentErrorRate: number;
  inFlight: number;
  latency: LatencySummaryView;
  timeToFirstToken: LatencySummaryView;
  inputTokens: number;
  outputTokens: number;
  costMicroUsd: number;
  unpricedAttempts: number;
  breakerState: "closed" | "open" | "half-open";
  breakerRetryAtUnixMs?: number;
  shadowComparisons: number;
  shadowAgreement?: number;
  /** Filled by the replay layer (src/replay/); absent counts as 0. */
  cacheHits?: number;
  cacheMisses?: number;
  idempotentReplays?: number;
  savedCostMicroUsd?: number;
}
