/**
 * One call's scope in the core, whichever edge it came through: its request id, its deadline, its
 * cancellation (a standard AbortSignal whose reason is always a GatewayError), a logger, and the routing
 * facts the call's log line reports. An edge opens it, hands it to the engine as the CallContext, and
 * closes it when the call ends.
 */
import type { Logger } from "pino";
import type { Usage } from "../providers/spec.js";
import { GatewayError } from "./gateway-error.js";
import type { CallContext, RouteRecord } from "./types.js";

/** Who is calling; filled in by caller authentication. */
export interface Caller {
  /** A stable, non-secret id (a key's id; `jwt:<policy>:<subject>` for a token's user). */
  id: string;
  /**
   * A bounded name for metrics labels when `id` is not one (a token's users: `jwt:<policy>`); `id` when
   * absent. Users are unbounded, policies come from the config.
   */
  label?: string;
  /** Whose key it is, as the key's policy names it; recorded with the call. */
  team?: string;
  service?: string;
  environment?: string;
}

/** What the call's log line reports besides its status. */
export interface CallOutcome {
  model?: string;
  deployment?: string;
  provider?: string;
  usage?: Usage;
  costMicroUsd?: number;
  route?: RouteRecord;
  timeToFirstTokenMs?: number;
  /** The request's own tags and metadata, recorded with the call. */
  tags?: string[];
  metadata?: Record<string, string>;
  /** PII replaced before the request left (src/redaction/): occurrences by type, never the values. */
  redactions?: Record<string, number>;
}

export interface RequestScope extends CallContext {
  /** The RPC or route, e.g. "Complete". */
  readonly method: string;
  /** The effective request id: the edge's (header or generated) until the body names its own. */
  readonly requestId: string;
  caller?: Caller;
  /** Filled in place as routing facts become known (stream start, finish, failure). */
  readonly outcome: CallOutcome;
  /** A child logger with the request id and method, made on first use. */
  logger(): Logger;
  /** Switches to the id the request body names. */
  useRequestId(requestId: string): void;
  /** Merges routing facts into `outcome`. */
  note(update: CallOutcome): void;
  /** Stops the deadline timer and unlinks from the edge's signal. Safe to call twice. */
  close(): void;
}

export interface RequestScopeOptions {
  method: string;
  requestId: string;
  /** The call's budget: the caller's deadline or the configured default, already clamped. */
  timeoutMs: number;
  /** The edge's own cancellation (client gone, shutdown); `reasonFor` says what its reason means. */
  cancel: AbortSignal;
  reasonFor(reason: unknown): GatewayError;
  logger: Logger;
  now?: () => number;
}

/** Opens a scope; its signal aborts with DEADLINE_EXCEEDED when `timeoutMs` passes. */
export function openRequestScope(options: RequestScopeOptions): RequestScope {
  const receivedAt = (options.now ?? Date.now)();
  const controller = new AbortController();
  const onCancel = (): void => controller.abort(options.reasonFor(options.cancel.reason));
  const timer = setTimeout(
    () => controller.abort(new GatewayError("DEADLINE_EXCEEDED", `the deadline of ${options.timeoutMs} ms passed`)),
    Math.max(0, options.timeoutMs),
  );
  timer.unref();
  if (options.cancel.aborted) onCancel();
  else options.cancel.addEventListener("abort", onCancel, { once: true });

  let requestId = options.requestId;
  let childLogger: Logger | undefined;
  const outcome: CallOutcome = {};
  return {
    method: options.method,
    signal: controller.signal,
    receivedAt,
    deadlineAt: receivedAt + options.timeoutMs,
    get requestId() {
      return requestId;
    },
    outcome,
    logger: () => (childLogger ??= options.logger.child({ requestId, method: options.method })),
    useRequestId(id) {
      if (id === requestId) return;
      requestId = id;
      childLogger = undefined;
    },
    note(update) {
      Object.assign(outcome, update);
    },
    close() {
      clearTimeout(timer);
      options.cancel.removeEventListener("abort", onCancel);
    },
  };
}
