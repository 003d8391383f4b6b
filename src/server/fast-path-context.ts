/**
 * The connect `HandlerContext` of one call served by a fast path (the Connect and gRPC unary fast paths,
 * and the Connect and gRPC server-streaming ones), and the sources of its signal: the client going away, the
 * deadline (`connect-timeout-ms` or `grpc-timeout`), and server shutdown, each with the reason connect
 * gives (CANCELED, DEADLINE_EXCEEDED "the operation timed out", the shutdown signal's reason). Unlike
 * connect's context it is not aborted when the call ends: nothing listens by then (the gateway's service
 * releases its listener in a `finally`), and that reasonless abort is the DOMException connect builds on
 * every call.
 *
 * Why a class: the fast path exists to be cheap, and the server runs through tsx, whose esbuild
 * `keepNames` wraps every named closure in a `defineProperty` call each time it is created. Prototype
 * members cost nothing per call. The parts the gateway's implementation never reads (the request header
 * as `Headers`, the trailer, the URL) are getters that build them on first use, and so is the response
 * header: the gateway sets its own headers with `setResponseHeader`, which builds no undici `Headers`
 * (2–3 µs a call hot, more when the code runs cold). So, unlike connect's
 * plain-object context, this one must not be spread into a new object: its getters would be left behind.
 */
import type { DescMethodServerStreaming, DescMethodUnary, DescService } from "@bufbuild/protobuf";
import { Code, ConnectError, type ContextValues, type HandlerContext } from "@connectrpc/connect";
import type { IncomingHttpHeaders } from "node:http";
import { AbortLatch } from "../providers/spec.js";
import type { AdoptableSignal, AdoptedSignal } from "./adoptable-signal.js";
import type { NodeRequest, NodeResponse } from "./node-handler.js";

/** What a shutdown aborts: the running fast-path calls (one shutdown listener for all of them). */
export type RunningCalls = Set<FastPathContext>;

/** The kinds of method a fast path serves: those whose request is one message. */
export type FastPathMethod = DescMethodUnary | DescMethodServerStreaming;

export interface FastPathContextInit {
  method: FastPathMethod;
  request: NodeRequest;
  response: NodeResponse;
  /** connect's name of the protocol: "connect" or "grpc". */
  protocolName: string;
  /** The response's content type as connect sets it (e.g. `application/proto`, `application/connect+json`). */
  responseContentType: string;
  /** Whether the call's messages are binary protobuf (else JSON). */
  binary: boolean;
  /** From `connect-timeout-ms` or `grpc-timeout`, parsed as connect does; undefined for no deadline. */
  timeoutMs: number | undefined;
  /** The context values the node handler made (the request id). */
  values: ContextValues;
  shutdownSignal: AbortSignal;
  runningCalls: RunningCalls;
}

const noTimeout = (): undefined => undefined;

/** One fast-path call's context; `finish()` it when the call is over. */
export class FastPathContext implements HandlerContext, AdoptableSignal {
  readonly method: FastPathMethod;
  readonly service: DescService;
  readonly protocolName: string;
  readonly requestMethod = "POST";
  readonly timeoutMs: () => number | undefined;
  readonly values: ContextValues;
  readonly binary: boolean;
  private readonly request: NodeRequest;
  /** The call's abort state; the DOM signal below is built from it only if someone reads `signal`. */
  private readonly latch = new AbortLatch();
  private controller: AbortController | undefined;
  private readonly runningCalls: RunningCalls;
  private deadlineTimer: NodeJS.Timeout | undefined;
  private finished = false;
  private requestHeaderCache: Headers | undefined;
  private responseHeaderCache: Headers | undefined;
  /** The response header until something reads `responseHeader`: lower-case names, values as Headers keeps them. */
  private readonly pendingResponseHeader: Record<string, string>;
  private trailerCache: Headers | undefined;
  /** Set while a call scope has adopted the signal (adoptable-signal.ts): every abort reason goes through it. */
  private mapReason: ((reason: unknown) => unknown) | undefined;

  constructor(init: FastPathContextInit) {
    this.method = init.method;
    this.service = init.method.parent;
    this.protocolName = init.protocolName;
    this.request = init.request;
    this.values = init.values;
    this.binary = init.binary;
    this.runningCalls = init.runningCalls;
    this.pendingResponseHeader = { "content-type": init.responseContentType };

    const response = init.response;
    // A response closed before it was ended means the client went away; after end() it is the normal close.
    response.once("close", () => {
      if (!response.writableEnded) this.abort(new ConnectError("the client went away", Code.Canceled));
    });
    if (init.shutdownSignal.aborted) this.abort(init.shutdownSignal.reason);
    else this.runningCalls.add(this);

    const timeoutMs = init.timeoutMs;
    if (timeoutMs === undefined) {
      this.timeoutMs = noTimeout;
    } else {
      // As connect's createHandlerContext and createDeadlineSignal: a zero timeout has passed already.
      const deadlineAt = Date.now() + timeoutMs;
      this.timeoutMs = () => deadlineAt - Date.now();
      if (timeoutMs <= 0) this.abortForDeadline();
      else this.deadlineTimer = setTimeout(() => this.abortForDeadline(), timeoutMs);
    }
  }

  /**
   * connect's `HandlerContext.signal`, built on first read (call-signal.ts says why it is worth not
   * building): the gateway's own service reads the latch it adopts instead.
   */
  get signal(): AbortSignal {
    if (this.controller === undefined) {
      const controller = new AbortController();
      this.controller = controller;
      if (this.latch.aborted) controller.abort(this.latch.reason);
      else this.latch.addEventListener("abort", () => controller.abort(this.latch.reason));
    }
    return this.controller.signal;
  }

  get requestHeader(): Headers {
    return (this.requestHeaderCache ??= webHeaders(this.request.headers));
  }

  get responseHeader(): Headers {
    return (this.responseHeaderCache ??= new Headers(this.pendingResponseHeader));
  }

  /**
   * Sets a response header without building `Headers`, for the gateway's own headers: a lower-case
   * name and a value Headers would keep as it is (Latin-1, no NUL, CR or LF, no surrounding spaces).
   */
  setResponseHeader(name: string, value: string): void {
    if (this.responseHeaderCache !== undefined) this.responseHeaderCache.set(name, value);
    else this.pendingResponseHeader[name] = value;
  }

  /** Each response header, as `responseHeader.forEach` gives them (names in sorted order). */
  forEachResponseHeader(callback: (value: string, name: string) => void): void {
    if (this.responseHeaderCache !== undefined) {
      this.responseHeaderCache.forEach(callback);
      return;
    }
    const pending = this.pendingResponseHeader;
    for (const name of Object.keys(pending).sort()) callback(pending[name], name);
  }

  get responseTrailer(): Headers {
    return (this.trailerCache ??= new Headers());
  }

  /** The trailer if the implementation touched it, else undefined (it is never built for nothing). */
  get trailerIfUsed(): Headers | undefined {
    return this.trailerCache;
  }

  /** As connect-node builds it: scheme from the socket, authority from `:authority` or Host. */
  get url(): string {
    const request = this.request;
    const encrypted = "encrypted" in request.socket && request.socket.encrypted === true;
    const authority = "authority" in request ? request.authority : request.headers.host;
    return new URL(request.url ?? "", `${encrypted ? "https" : "http"}://${authority}`).toString();
  }

  /** Aborts the signal with `reason` (mapped, while adopted), unless the call is over or the signal aborted already. */
  abort(reason: unknown): void {
    this.abortAsIs(this.mapReason === undefined ? reason : this.mapReason(reason));
  }

  /**
   * Unary calls only: a stream's writer and error path read this signal's reason as connect's, so a
   * streaming call's scope links its own controller instead.
   */
  adoptSignal(mapReason: (reason: unknown) => unknown): AdoptedSignal | undefined {
    if (this.method.methodKind !== "unary" || this.finished || this.latch.aborted) return undefined;
    this.mapReason = mapReason;
    return {
      signal: this.latch,
      abort: (reason) => this.abortAsIs(reason),
      release: () => {
        this.mapReason = undefined;
      },
    };
  }

  /** The call is over: stops the deadline timer and leaves the running calls; the signal stays as it is. */
  finish(): void {
    if (this.finished) return;
    this.finished = true;
    this.release();
  }

  private abortAsIs(reason: unknown): void {
    if (this.finished || this.latch.aborted) return;
    this.release();
    this.latch.abort(reason);
  }

  private abortForDeadline(): void {
    this.abort(new ConnectError("the operation timed out", Code.DeadlineExceeded));
  }

  private release(): void {
    clearTimeout(this.deadlineTimer);
    this.runningCalls.delete(this);
  }
}

/** connect-node's `nodeHeaderToWebHeader`: every header but HTTP/2 pseudo-headers, repeated ones appended. */
function webHeaders(nodeHeaders: IncomingHttpHeaders): Headers {
  const header = new Headers();
  for (const [name, value] of Object.entries(nodeHeaders)) {
    if (name.startsWith(":") || value === undefined) continue;
    if (Array.isArray(value)) for (const item of value) header.append(name, item);
    else header.append(name, String(value));
  }
  return header;
}
