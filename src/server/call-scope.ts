/**
 * What one GatewayService call needs around the engine: the effective request id, the deadline
 * (the caller's, or the configured default, never above the configured maximum), an abort signal that
 * fires on client cancel, deadline or shutdown, a child logger, the error mapping, and exactly one info
 * line when the call ends. Prompt text is never part of that line.
 */
import { Code, ConnectError, type HandlerContext } from "@connectrpc/connect";
import type { Logger } from "pino";
import { toConnectError } from "./to-connect-error.js";
import { GatewayError, type CallContext, type RouteRecord } from "../gateway/types.js";
import { AbortLatch, type CallSignal, type Usage } from "../providers/spec.js";
import { asAdoptableSignal } from "./adoptable-signal.js";
import { isUsableRequestId } from "./convert-request.js";
import { FastPathContext } from "./fast-path-context.js";
import { requestIdHeader, requestIdKey } from "./request-id.js";
import { randomUUID } from "node:crypto";

export interface CallScopeSettings {
  defaultDeadlineMs: number;
  maxDeadlineMs: number;
  logger: Logger;
  now?: () => number;
}

/** What the call's log line reports on success. */
export interface CallOutcome {
  deployment?: string;
  provider?: string;
  usage?: Usage;
  costMicroUsd?: number;
  route?: RouteRecord;
}

/*
 * Why `requestId()` and `logger()` are methods and not getters: an object literal with accessors gets
 * fresh accessor functions each time it is built, and on Node 20 those objects outlived the young
 * generation (bench/gc/call-scope-promotion.ts: 4–7 MB promoted per scavenge with the getters, 0.2 MB
 * without), which was most of the gateway's GC pauses.
 */
export interface CallScope {
  /** The effective request id (the body's once `useRequestId` has switched to it). */
  requestId(): string;
  /** A child logger with the request id and method, made on first use. */
  logger(): Logger;
  /** Handed to the engine. */
  readonly callContext: CallContext;
  /** Switches to the body's request id (once validated). */
  useRequestId(requestId: string): void;
  /** Records the model asked for, for the log line. */
  setModel(model: string): void;
  /** Merges routing facts as they become known (stream start, finish). */
  note(outcome: CallOutcome): void;
  /** Logs success. */
  succeed(outcome?: CallOutcome): void;
  /** Maps, logs and returns the error to throw. */
  fail(error: unknown): ConnectError;
  /** Logs a cancel when neither succeed nor fail ran, and releases timers. */
  end(): void;
}

const codeNames: Record<number, string> = Object.fromEntries(
  Object.entries(Code)
    .filter(([, value]) => typeof value === "number")
    .map(([name, value]) => [value, name.replace(/([a-z])([A-Z])/g, "$1_$2").toUpperCase()]),
);

/** Opens the scope of one call; throws INVALID_ARGUMENT (as a ConnectError) for a deadline over the maximum. */
export function openCallScope(method: string, context: HandlerContext, settings: CallScopeSettings): CallScope {
  const now = settings.now ?? Date.now;
  const receivedAt = now();
  let requestId = context.values.get(requestIdKey) ?? pickHeaderId(context);
  // The child logger is made only when something asks for it (prompt debug lines, errors): the one info
  // line per call carries requestId and method itself, so a call that succeeds builds no child.
  let childLogger: Logger | undefined;
  const logger = (): Logger => (childLogger ??= settings.logger.child({ requestId, method }));
  let model: string | undefined;
  // Filled in place: a stream notes its outcome several times, and a fresh spread object each time was
  // 3 % of an in-process stream's CPU (bench/in-process.ts).
  const outcome: CallOutcome = {};
  let ended = false;

  const clientTimeoutMs = context.timeoutMs();
  const timeoutMs = clientTimeoutMs ?? settings.defaultDeadlineMs;
  // The engine reads the abort reason to tell a deadline from a cancel, so hand it our own error type.
  // Connect's deadline timer starts before `receivedAt` is read, so a clock comparison could misjudge it.
  const call = callSignal(context);
  const timer = setTimeout(
    () => call.abort(new GatewayError("DEADLINE_EXCEEDED", `the deadline of ${timeoutMs} ms passed`)),
    Math.max(0, timeoutMs),
  );
  timer.unref?.();
  setResponseHeader(context, requestIdHeader, requestId);

  const log = (status: Code | "OK", extra: Record<string, unknown>): void => {
    if (ended) return;
    ended = true;
    if (!settings.logger.isLevelEnabled("info")) return;
    const usage = outcome.usage;
    const line = {
      requestId,
      method,
      model,
      deployment: outcome.deployment ?? outcome.route?.deployment,
      provider: outcome.provider ?? outcome.route?.provider,
      status: status === "OK" ? "OK" : codeNames[status],
      latencyMs: Math.round(now() - receivedAt),
      inputTokens: usage?.inputTokens,
      outputTokens: usage?.outputTokens,
      costMicroUsd: outcome.costMicroUsd,
      attempts: outcome.route?.attempts.length,
      ...extra,
    };
    settings.logger.info(line, "call finished");
  };

  const scope: CallScope = {
    requestId: () => requestId,
    logger,
    callContext: { signal: call.signal, deadlineAt: receivedAt + timeoutMs, receivedAt },
    useRequestId(id) {
      if (id === requestId) return;
      requestId = id;
      childLogger = undefined;
      setResponseHeader(context, requestIdHeader, requestId);
    },
    setModel(name) {
      model = name;
    },
    note(update) {
      Object.assign(outcome, update);
    },
    succeed(update) {
      if (update) scope.note(update);
      log("OK", {});
    },
    fail(error) {
      const connectError = toConnectError(abortAwareError(error, call.signal), requestId);
      const reason = error instanceof GatewayError ? error.reason : undefined;
      if (error instanceof GatewayError && error.failure) outcome.route = error.failure.route;
      if (connectError.code === Code.Internal) {
        logger().error({ err: connectError.cause ?? error }, "call failed with an internal error");
      }
      log(connectError.code, { reason, error: connectError.rawMessage });
      return connectError;
    },
    end() {
      clearTimeout(timer);
      call.release();
      if (!ended) log(Code.Canceled, { reason: "CANCELED", error: "the client went away" });
    },
  };

  if (clientTimeoutMs !== undefined && clientTimeoutMs > settings.maxDeadlineMs) {
    const error = scope.fail(
      new GatewayError("INVALID_REQUEST", `deadline ${clientTimeoutMs} ms is above the maximum of ${settings.maxDeadlineMs} ms`, {
        fieldViolations: [{ field: "grpc-timeout", description: `at most ${settings.maxDeadlineMs} ms` }],
      }),
    );
    scope.end();
    throw error;
  }
  return scope;
}

/** The call's signal, its abort with a reason of the scope's, and the release of its link to the context. */
interface ScopeSignal {
  signal: CallSignal;
  abort(reason: GatewayError): void;
  release(): void;
}

/**
 * The signal the engine gets: the context's own, adopted, when the context offers that (adoptable-signal.ts
 * says why), else a latch of ours linked to it. Either way it aborts with a GatewayError.
 */
function callSignal(context: HandlerContext): ScopeSignal {
  const adopted = asAdoptableSignal(context)?.adoptSignal((reason) => gatewayErrorForAbort(reason));
  if (adopted !== undefined) return adopted;
  const latch = new AbortLatch();
  const onAbort = (): void => latch.abort(gatewayErrorForAbort(context.signal.reason));
  if (context.signal.aborted) onAbort();
  else context.signal.addEventListener("abort", onAbort, { once: true });
  return {
    signal: latch,
    abort: (reason) => latch.abort(reason),
    release: () => context.signal.removeEventListener("abort", onAbort),
  };
}

function pickHeaderId(context: HandlerContext): string {
  const header = context.requestHeader.get(requestIdHeader);
  return isUsableRequestId(header) ? header : randomUUID();
}

/**
 * When the call's signal fired, an engine may surface the abort as some generic error; report what
 * actually happened instead: the deadline, the client's cancel, or the shutdown.
 */
function abortAwareError(error: unknown, signal: CallSignal): unknown {
  if (!signal.aborted) return error;
  const reason = gatewayErrorForAbort(signal.reason, error);
  if (error instanceof GatewayError) {
    // The engine reports a stop as CANCELED with what was spent; a shutdown says so, with the same details.
    if (error.reason === "CANCELED" && reason.reason === "SHUTTING_DOWN") {
      return new GatewayError("SHUTTING_DOWN", reason.message, { failure: error.failure, cause: error });
    }
    return error;
  }
  if (error instanceof ConnectError && !(signal.reason instanceof ConnectError) && !(signal.reason instanceof GatewayError)) return error;
  return reason;
}

/** What an abort of the call's signal means, as a GatewayError: the deadline, the client's cancel, or the shutdown. */
function gatewayErrorForAbort(reason: unknown, cause?: unknown): GatewayError {
  if (reason instanceof GatewayError) return reason;
  if (reason instanceof ConnectError) {
    if (reason.code === Code.DeadlineExceeded) return new GatewayError("DEADLINE_EXCEEDED", "the deadline passed", { cause });
    if (reason.code === Code.Unavailable) return new GatewayError("SHUTTING_DOWN", "the gateway is shutting down", { cause });
  }
  return new GatewayError("CANCELED", "the call was canceled", { cause });
}

/** A fast path's context takes the gateway's own headers without building `Headers` (fast-path-context.ts). */
function setResponseHeader(context: HandlerContext, name: string, value: string): void {
  if (context instanceof FastPathContext) context.setResponseHeader(name, value);
  else context.responseHeader.set(name, value);
}
