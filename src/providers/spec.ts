/**
 * The provider adapter contract: what every vendor adapter takes and returns. Modelled on the AI SDK's
 * LanguageModel spec. Nothing here knows gRPC or routing; `server/` and `routing/` speak to vendors only
 * through these types.
 */
import { redactSecretText, redactSecrets, safeErrorCode } from "../observability/redact-secrets.js";
import type { ProviderKind } from "./registry.js";

export type { ProviderKind } from "./registry.js";

export type Role = "system" | "user" | "assistant" | "tool";

export type ContentPart =
  | { type: "text"; text: string }
  | { type: "image"; url?: string; data?: Uint8Array; mediaType?: string };

/** A complete tool call; `argumentsJson` is a JSON object text ("{}" for none). */
export interface ToolCall {
  id: string;
  name: string;
  argumentsJson: string;
}

export interface ChatMessage {
  role: Role;
  parts: ContentPart[];
  /** Assistant turns: the tool calls made. */
  toolCalls?: ToolCall[];
  /** Tool turns: the call answered. */
  toolCallId?: string;
  /** Tool turns: the tool's name (Gemini and Ollama need it). */
  toolName?: string;
}

export interface ToolDefinition {
  name: string;
  description?: string;
  /** A JSON Schema object. */
  parameters: Record<string, unknown>;
}

export interface ToolChoice {
  mode: "auto" | "none" | "required" | "tool";
  toolName?: string;
}

export interface ResponseFormat {
  type: "text" | "json" | "json-schema";
  schema?: Record<string, unknown>;
  schemaName?: string;
  strict?: boolean;
}

export interface SamplingSettings {
  temperature?: number;
  topP?: number;
  maxOutputTokens?: number;
  stopSequences: string[];
  seed?: number;
}

/**
 * Per-attempt time limits in milliseconds, already cut to what is left of the caller's deadline.
 * `firstTokenMs` bounds the wait for response headers and the first event; `idleMs` the gap between
 * events; `totalMs` the whole attempt. A wait for one of the gateway's own connections is not counted:
 * the limits run from the moment the call is sent (`DispatchObserver`).
 */
export interface AttemptTimeouts {
  connectMs: number;
  firstTokenMs: number;
  idleMs: number;
  totalMs: number;
}

/**
 * Told when a call waits inside the gateway for a connection to its vendor, and when it is sent on one.
 * Our own queueing is not the vendor's time: routing's attempt stops its first-token and total limits
 * while the call waits (only the caller's deadline runs) and starts them afresh once it is sent. An
 * adapter whose calls never wait calls neither; one whose calls may wait (the pooled HTTP client) calls
 * `waiting` only for a call that waits, and `sent` for every call.
 */
export interface DispatchObserver {
  /** The call waits: every connection the gateway may open to the vendor is busy. */
  waiting(): void;
  /** The call is being written to a connection: the vendor's time starts now. */
  sent(): void;
  /**
   * Headers that carry the call's trace context to the vendor (W3C `traceparent`, `tracestate`), added to
   * the request where it is built (pooled-client.ts); absent when the call is not traced.
   */
  readonly traceHeaders?: Readonly<Record<string, string>>;
}

/** One call to one vendor model: everything an adapter needs, already resolved by routing. */
export interface ModelCall {
  /** The vendor's model id, e.g. "gpt-4.1-mini". */
  vendorModel: string;
  messages: ChatMessage[];
  sampling: SamplingSettings;
  tools: ToolDefinition[];
  toolChoice?: ToolChoice;
  responseFormat?: ResponseFormat;
  timeouts: AttemptTimeouts;
  /** Sent upstream for correlation where the vendor accepts a header for it. */
  requestId?: string;
  /** Told when the call waits for a connection and when it is sent (routing's attempt); absent when nobody times it. */
  dispatch?: DispatchObserver;
}

/** Token counts. A field is absent when the vendor did not report it: unknown is never zero. */
export interface Usage {
  inputTokens?: number;
  cachedInputTokens?: number;
  cacheWriteInputTokens?: number;
  outputTokens?: number;
  reasoningTokens?: number;
}

export type FinishReason = "stop" | "length" | "tool-calls" | "content-filter" | "other";

/** A setting the vendor could not honour exactly; never a silent drop. */
export interface CallWarning {
  code: "unsupported-setting" | "clamped-setting" | "other";
  message: string;
}

/**
 * The parts of a stream, in order: `warning`s and `metadata` first, then deltas, then exactly one
 * `finish`. An adapter's stream that ends without `finish` is a bug; an upstream that ends without its
 * terminator makes the adapter throw `ProviderError("malformed-response")` instead.
 */
export type StreamPart =
  | { type: "warning"; warning: CallWarning }
  | { type: "metadata"; vendorModel?: string; responseId?: string }
  | { type: "text-delta"; text: string }
  | { type: "reasoning-delta"; text: string }
  | { type: "tool-call-delta"; index: number; id?: string; name?: string; argumentsDelta: string }
  | { type: "finish"; finishReason: FinishReason; rawFinishReason: string; usage: Usage };

export interface CompleteResult {
  text: string;
  reasoning: string;
  toolCalls: ToolCall[];
  finishReason: FinishReason;
  rawFinishReason: string;
  usage: Usage;
  vendorModel?: string;
  responseId?: string;
  warnings: CallWarning[];
}

/**
 * The one interface every vendor adapter implements. Adapters are stateless apart from their pool. They
 * throw only `ProviderError`, or `ConnectionsBusyError` when the gateway's own pool cannot take the call.
 */
export interface ProviderAdapter {
  readonly kind: ProviderKind;
  /** Resolves with the whole answer or rejects with a `ProviderError` (or `ConnectionsBusyError`). */
  complete(call: ModelCall, signal: AbortSignal): Promise<CompleteResult>;
  /** Yields parts as they arrive; throws `ProviderError` (or `ConnectionsBusyError`). Aborting `signal` aborts the upstream call. */
  stream(call: ModelCall, signal: AbortSignal): AsyncIterable<StreamPart>;
  /** Closes pooled connections. */
  close(): Promise<void>;
}

export type ProviderErrorKind =
  | "rate-limited"
  | "unavailable"
  | "timeout"
  | "auth-failed"
  | "invalid-request"
  | "context-length-exceeded"
  | "content-filtered"
  | "malformed-response"
  | "canceled";

export interface ProviderErrorOptions {
  /** The upstream HTTP status, when there was one. */
  status?: number;
  /** How long the vendor asked us to wait before the next call, parsed from headers or body. */
  retryAfterMs?: number;
  /** Usage the vendor reported before failing (billed even though the call failed). */
  usage?: Usage;
  /** Whether any content had been produced before the failure. */
  afterContent?: boolean;
  /**
   * The upstream body or underlying error, for logs only: never sent to a client. Text and plain data
   * (a vendor body, an event, an object holding them) are stored redacted; errors are kept as they are
   * and redacted by the logger when it writes them.
   */
  cause?: unknown;
  /** The vendor's own error type/code, for logs and finer mapping; dropped unless `safeErrorCode` keeps it. */
  vendorCode?: string;
}

/**
 * The only error an adapter throws. `message` is ours and safe for clients; `cause` is not. Vendors
 * can echo anything, an API key included, in the strings an error is built from, so the constructor
 * is the one place that redacts them all: the message, the cause's text and the vendor code.
 */
export class ProviderError extends Error {
  readonly kind: ProviderErrorKind;
  readonly status?: number;
  readonly retryAfterMs?: number;
  readonly usage?: Usage;
  readonly afterContent: boolean;
  readonly vendorCode?: string;

  constructor(kind: ProviderErrorKind, message: string, options: ProviderErrorOptions = {}) {
    super(redactSecretText(message), { cause: redactedCause(options.cause) });
    this.name = "ProviderError";
    this.kind = kind;
    this.status = options.status;
    this.retryAfterMs = options.retryAfterMs;
    this.usage = options.usage;
    this.afterContent = options.afterContent ?? false;
    this.vendorCode = safeErrorCode(options.vendorCode);
  }

  /** Worth another attempt (same or other deployment) when the vendor, not the caller, is at fault. */
  get isRetryable(): boolean {
    return (
      this.kind === "rate-limited" ||
      this.kind === "unavailable" ||
      this.kind === "timeout" ||
      this.kind === "malformed-response"
    );
  }

  /** Counts against the deployment's circuit breaker: provider faults only, never the caller's. */
  get isProviderFault(): boolean {
    return this.isRetryable || this.kind === "auth-failed";
  }
}

/**
 * Thrown instead of sending a call when the gateway has no connection for it: every connection it may
 * open to the vendor is busy and `maxQueued` calls already wait for one, or the host refused it another
 * socket (out of file descriptors or local ports). The gateway sheds load it cannot carry. Not the
 * vendor's doing, so it is no `ProviderError`: routing counts it against no breaker and no vendor
 * statistic, and may try another deployment; with none left the caller gets RATE_LIMITED
 * (RESOURCE_EXHAUSTED), a limit of ours. The message names the limit, for logs.
 */
export class ConnectionsBusyError extends Error {
  constructor(message: string, options: { cause?: unknown } = {}) {
    super(message, options);
    this.name = "ConnectionsBusyError";
  }
}

/** Vendor text and plain data redacted; errors and other objects kept, so their identity and type survive. */
function redactedCause(cause: unknown): unknown {
  if (typeof cause === "string") return redactSecretText(cause);
  if (cause === null || typeof cause !== "object") return cause;
  const prototype: unknown = Object.getPrototypeOf(cause);
  return Array.isArray(cause) || prototype === Object.prototype || prototype === null ? redactSecrets(cause) : cause;
}

/**
 * How much one upstream response may make the gateway hold. A stream's total is bounded by time
 * (`AttemptTimeouts.totalMs`), not bytes: only each of its events is bounded here.
 */
export interface ResponseLimits {
  /** A non-streaming response body, in bytes. */
  maxResponseBytes: number;
  /** One event of a stream (an SSE event, an NDJSON line), in bytes. */
  maxEventBytes: number;
}

/** Connection and credential settings for one provider, from the config file. */
export interface ProviderSettings {
  name: string;
  kind: ProviderKind;
  baseUrl: string;
  /** Secret. Never logged. */
  apiKey?: string;
  /** Extra headers sent on every call (secrets allowed: never logged). */
  headers: Record<string, string>;
  /** Upper bound on pooled connections to this origin. */
  maxConnections: number;
  /**
   * Calls that may wait for a connection while all `maxConnections` are busy; past them a call is shed
   * (`ConnectionsBusyError`). `defaultPoolLimits.maxQueued` (providers/http/pool-limits.ts) when absent.
   */
  maxQueued?: number;
  /** Azure OpenAI: the api-version query parameter; turns on deployment URLs and the api-key header. */
  azureApiVersion?: string;
  /** Response size limits; `defaultResponseLimits` (providers/http/response-limits.ts) when absent. */
  limits?: ResponseLimits;
}
