/**
 * The connect `HandlerContext` of one call arriving through grpc-js, so a connect `ServiceImpl` sees
 * exactly what it sees on the main port: `signal` aborts when the client cancels, when the deadline
 * passes or when the server shuts down; `timeoutMs()` counts down to the client's deadline
 * (`grpc-timeout`); `requestHeader` holds the metadata; the request id (header or generated) is in the
 * context values and echoed as `x-request-id`, as the node handler does on the main port.
 */
import type { DescMethod } from "@bufbuild/protobuf";
import { Code, ConnectError, createContextValues, type ContextValues, type HandlerContext } from "@connectrpc/connect";
import type { Metadata } from "@grpc/grpc-js";
import type { EventEmitter } from "node:events";
import { AbortLatch } from "../../providers/spec.js";
import type { AdoptableSignal } from "../adoptable-signal.js";
import { StreamHead } from "../stream-head.js";
import { pickRequestId, requestIdHeader, requestIdKey } from "../request-id.js";
import { headersFromMetadata, metadataFromHeaders } from "./grpc-js-status.js";

/** The parts of a grpc-js server call (unary or stream) the context needs. */
export interface GrpcJsServerCall extends EventEmitter {
  readonly metadata: Metadata;
  getDeadline(): Date | number;
  getHost(): string;
  getPath(): string;
  sendMetadata(metadata: Metadata): void;
}

export interface GrpcJsContextOptions {
  /** Aborting it aborts every running call's signal (graceful shutdown after the grace period). */
  shutdownSignal?: AbortSignal;
}

/** One call's context plus what the adapter does with it. */
export interface GrpcJsCallContext {
  readonly context: HandlerContext;
  /** True once the client cancelled or the deadline passed: nothing more can be sent. */
  isCancelled(): boolean;
  /** Sends `context.responseHeader` as the response metadata, once. */
  sendHeader(): void;
  /** Streaming calls: sends the metadata 5 ms later unless it was sent or the call ended by then (stream-head.ts). */
  sendHeaderOnceWaiting(): void;
  /** Marks the call finished: stops listening for cancellation and releases the deadline timer. */
  finish(): void;
}

/** How much earlier than ours a client's deadline may fire (send time, network, our read of the header). */
const clientDeadlineSkewMs = 25;

/** The abort reason once a call is over (nothing listens by then; it only has to be cheap). */
const callFinished = new ConnectError("the call finished", Code.Canceled);

/**
 * The `HandlerContext` itself. A class, so that `signal` (built on first read) is a getter on the
 * prototype: a getter in an object literal is made afresh for every call, and on Node 20 such objects
 * outlived the young generation (see call-scope.ts).
 */
class GrpcJsHandlerContext implements HandlerContext {
  readonly service: DescMethod["parent"];
  readonly protocolName = "grpc";
  readonly requestMethod = "POST";
  readonly responseTrailer = new Headers();
  adoptSignal?: AdoptableSignal["adoptSignal"];

  constructor(
    readonly method: DescMethod,
    readonly url: string,
    private readonly domSignal: () => AbortSignal,
    readonly timeoutMs: () => number | undefined,
    readonly requestHeader: Headers,
    readonly responseHeader: Headers,
    readonly values: ContextValues,
  ) {
    this.service = method.parent;
  }

  get signal(): AbortSignal {
    return this.domSignal();
  }
}

/** Opens the context of `call` (a grpc-js server call) for `method`. */
export function openGrpcJsContext(call: GrpcJsServerCall, method: DescMethod, options: GrpcJsContextOptions): GrpcJsCallContext {
  const deadline = call.getDeadline();
  const deadlineAt = deadline instanceof Date ? deadline.getTime() : deadline;
  const timeoutMs = Number.isFinite(deadlineAt) ? Math.max(0, deadlineAt - Date.now()) : undefined;
  const requestHeader = headersFromMetadata(call.metadata);
  const requestId = pickRequestId(requestHeader.get(requestIdHeader));
  // A context of our own rather than connect's createHandlerContext: that one links three AbortControllers
  // (deadline, request, shutdown) per call, and grpc-js already tells us about cancels. Here one latch
  // is fed by grpc-js's "cancelled", one deadline timer and the shutdown signal, and the DOM signal
  // connect's interface wants is built from it only when read (call-signal.ts says why).
  const latch = new AbortLatch();
  let controller: AbortController | undefined;
  const domSignal = (): AbortSignal => {
    if (controller === undefined) {
      const created = new AbortController();
      controller = created;
      if (latch.aborted) created.abort(latch.reason);
      else latch.addEventListener("abort", () => created.abort(latch.reason));
    }
    return controller.signal;
  };
  // Set while a call scope has adopted the signal (adoptable-signal.ts): every abort reason goes through it.
  let mapReason: ((reason: unknown) => unknown) | undefined;
  const abortAsIs = (reason: unknown): void => {
    if (latch.aborted) return;
    clearTimeout(deadlineTimer);
    options.shutdownSignal?.removeEventListener("abort", onShutdown);
    latch.abort(reason);
  };
  const abort = (reason: unknown): void => abortAsIs(mapReason === undefined ? reason : mapReason(reason));
  const onShutdown = (): void => abort(options.shutdownSignal?.reason);
  const deadlineTimer =
    timeoutMs === undefined ? undefined : setTimeout(() => abort(new ConnectError("the operation timed out", Code.DeadlineExceeded)), timeoutMs);
  if (options.shutdownSignal?.aborted) onShutdown();
  else options.shutdownSignal?.addEventListener("abort", onShutdown, { once: true });
  const context: HandlerContext & Partial<AdoptableSignal> = new GrpcJsHandlerContext(
    method,
    `http://${call.getHost()}${call.getPath()}`,
    domSignal,
    timeoutMs === undefined ? () => undefined : () => deadlineAt - Date.now(),
    requestHeader,
    new Headers({ [requestIdHeader]: requestId }),
    createContextValues().set(requestIdKey, requestId),
  );
  // Unary calls only: a streaming call's writer waits on this signal for 'drain' and turns its reason
  // into the call's status, so that reason must stay connect's.
  if (method.methodKind === "unary") {
    context.adoptSignal = (map) => {
      if (latch.aborted) return undefined;
      mapReason = map;
      return {
        signal: latch,
        abort: abortAsIs,
        release: () => {
          mapReason = undefined;
        },
      };
    };
  }
  let cancelled = false;
  let finished = false;
  const head = new StreamHead(
    () => call.sendMetadata(metadataFromHeaders(context.responseHeader)),
    () => !cancelled && !finished,
  );

  // grpc-js emits "cancelled" for a client cancel, for its own deadline timer, and (a tick later) after
  // every status it sends, so it only counts while the call runs.
  const onCancelled = (): void => {
    if (finished) return;
    cancelled = true;
    // The client's deadline timer started when it sent the call, a little before ours: a cancel that
    // arrives within the skew of our deadline is the client's deadline firing, not a cancel.
    const deadlinePassed = Number.isFinite(deadlineAt) && Date.now() >= deadlineAt - clientDeadlineSkewMs;
    abort(
      deadlinePassed
        ? new ConnectError("the deadline passed", Code.DeadlineExceeded)
        : new ConnectError("the client canceled the call", Code.Canceled),
    );
  };
  call.once("cancelled", onCancelled);

  return {
    context,
    isCancelled: () => cancelled,
    sendHeader() {
      if (!cancelled) head.sendNow();
    },
    sendHeaderOnceWaiting() {
      head.sendOnceWaiting();
    },
    finish() {
      if (finished) return;
      finished = true;
      call.removeListener("cancelled", onCancelled);
      // With a reason: abort() without one builds a DOMException, measurable on every call.
      abort(callFinished);
    },
  };
}
