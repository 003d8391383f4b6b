import { Pool, type Dispatcher } from "undici";
import { ConnectionsBusyError, type AttemptTimeouts, type DispatchObserver } from "../spec.js";
import { joinUrlPath } from "./join-url-path.js";
import { isLocalSocketExhaustion, toProviderError, type AbortSources } from "./network-error.js";
import { defaultPoolLimits } from "./pool-limits.js";
import { responseTooLarge } from "./response-limits.js";
import { UpstreamExchange, type ExchangeOwner, type ResponseHead } from "./upstream-exchange.js";

/** One upstream HTTP response. `body` and `text()` each consume the body: use one of them, once. */
export interface UpstreamResponse {
  status: number;
  headers: Headers;
  /** The raw body. Stopping iteration early (break/return) aborts the request and frees the socket. */
  body: AsyncIterable<Uint8Array>;
  /**
   * Reads the whole body as UTF-8. A body larger than `maxBytes` (by its Content-Length, or once that
   * many bytes have arrived) is not read on: the socket is closed and `responseTooLarge` thrown.
   */
  text(maxBytes: number): Promise<string>;
}

export interface PooledRequestOptions {
  /** Appended to the base URL's path; may carry a query, which is merged with the base URL's. */
  path: string;
  method?: "POST" | "GET";
  headers: Record<string, string>;
  body?: string;
  /** The caller's signal: aborting it aborts the upstream request (`canceled`). */
  signal: AbortSignal;
  /** `totalMs` and `firstTokenMs` run from the moment the request is written to a connection. */
  timeouts: AttemptTimeouts;
  /** Told if the request waits for a connection, and when it is sent. */
  dispatch?: DispatchObserver;
}

/** A keep-alive connection pool to one upstream origin, shared by all calls of one adapter. */
export interface PooledClient {
  /**
   * Sends one request; rejects with `ProviderError` (`unavailable`, `timeout` or `canceled`), or with
   * `ConnectionsBusyError` when every connection is busy and the queue for them is full, or the host has
   * no socket to spare.
   */
  request(options: PooledRequestOptions): Promise<UpstreamResponse>;
  /** Closes the pool's sockets; in-flight requests finish first, waiting ones fail (`unavailable`). */
  close(): Promise<void>;
}

/** How to reach and size one pool; a provider's `ProviderSettings` is one. */
export interface PooledClientOptions {
  baseUrl: string;
  maxConnections: number;
  /** Requests that may wait for a connection while all are busy; `defaultPoolLimits.maxQueued` when absent. */
  maxQueued?: number;
  /** TCP+TLS connect limit for the pool's sockets; undici fixes it per pool, not per request. */
  connectTimeoutMs?: number;
}

/** setTimeout (and so undici and AbortSignal.timeout) cannot wait longer than this. */
const maxTimerMs = 2_147_483_647;

function timerMs(value: number): number | undefined {
  return Number.isFinite(value) && value > 0 && value <= maxTimerMs ? Math.ceil(value) : undefined;
}

function toHeaders(raw: Record<string, string | string[] | undefined>): Headers {
  const headers = new Headers();
  for (const [name, value] of Object.entries(raw)) {
    if (value === undefined) continue;
    for (const one of Array.isArray(value) ? value : [value]) headers.append(name, one);
  }
  return headers;
}

/**
 * One response. A class, so that `headers` is a getter on the prototype: a getter in an object literal
 * is made afresh for every object, and on Node 20 such per-call objects outlived the young generation.
 * A WHATWG Headers is costly to build and only error paths read it (Retry-After, vendor
 * ids): it is built on first use.
 */
class PooledResponse implements UpstreamResponse {
  readonly status: number;
  private headersCache: Headers | undefined;

  constructor(
    private readonly head: ResponseHead,
    readonly body: AsyncIterable<Uint8Array>,
    private readonly readText: (maxBytes: number) => Promise<string>,
  ) {
    this.status = head.status;
  }

  get headers(): Headers {
    return (this.headersCache ??= toHeaders(this.head.headers));
  }

  text(maxBytes: number): Promise<string> {
    return this.readText(maxBytes);
  }
}

/** Paths with query per pool are few (one per endpoint and model); past this many the cache starts over. */
const maxCachedPaths = 256;

/**
 * Creates a pooled HTTP client for one base URL: an undici `Pool` with keep-alive and at most
 * `maxConnections` sockets. Per request, `firstTokenMs` bounds the wait for headers, `idleMs` the gap
 * between body chunks and `totalMs` the whole exchange (body included), each from the moment the request
 * is written to a connection; the caller's signal and the total limit both abort the exchange
 * (upstream-exchange.ts), and the caller is checked first so a cancel is never mistaken for a timeout.
 * Why a pool and not global `fetch`: a bounded pool per deployment is what the `maxConnections` setting
 * promises, and early-exit from a body must destroy the socket instead of draining it (an abandoned LLM
 * stream can run for minutes).
 *
 * While all `maxConnections` are busy, up to `maxQueued` requests wait in a queue of our own, in order,
 * and a request beyond that is refused at once (`ConnectionsBusyError`). Why our own queue in front of
 * undici's: undici writes a request aborted while it waited to a connection anyway and then destroys
 * that socket, where ours simply drops it; and only here is the queue bounded and the wait observable
 * (`DispatchObserver`), so routing can keep it off the vendor's clock.
 */
export function createPooledClient(options: PooledClientOptions): PooledClient {
  const base = joinUrlPath(options.baseUrl, "/");
  // joinUrlPath parses URLs and queries: a few microseconds we need not pay on every request.
  const joinedPaths = new Map<string, string>();
  const pathWithQueryFor = (path: string): string => {
    let joined = joinedPaths.get(path);
    if (joined === undefined) {
      if (joinedPaths.size >= maxCachedPaths) joinedPaths.clear();
      joined = joinUrlPath(options.baseUrl, path).pathWithQuery;
      joinedPaths.set(path, joined);
    }
    return joined;
  };
  const maxConnections = Math.max(1, options.maxConnections);
  const maxQueued = Math.max(0, options.maxQueued ?? defaultPoolLimits.maxQueued);
  const pool = new Pool(base.origin, {
    connections: maxConnections,
    connect: { timeout: timerMs(options.connectTimeoutMs ?? 10_000) ?? 10_000 },
    keepAliveTimeout: 30_000,
    pipelining: 1,
  });
  const queue = new WaitQueue(pool, maxConnections);

  async function request(requestOptions: PooledRequestOptions): Promise<UpstreamResponse> {
    const caller = requestOptions.signal;
    if (caller.aborted) {
      throw toProviderError(caller.reason, { caller });
    }
    // Checked before anything is built: shedding must stay cheap when it is all the gateway can do.
    if (queue.full(maxQueued)) {
      throw new ConnectionsBusyError(`Every connection to the provider is busy (maxConnections ${maxConnections}) and ${maxQueued} calls wait (maxQueued).`);
    }
    const dispatchOptions: Dispatcher.DispatchOptions = {
      path: pathWithQueryFor(requestOptions.path),
      method: requestOptions.method ?? "POST",
      headers: withTraceHeaders(requestOptions.headers, requestOptions.dispatch?.traceHeaders),
      body: requestOptions.body,
      // undici starts this when it writes the request, not while the request waits for a connection.
      headersTimeout: timerMs(requestOptions.timeouts.firstTokenMs) ?? 0,
      bodyTimeout: timerMs(requestOptions.timeouts.idleMs) ?? 0,
    };
    // The exchange is the undici handler and the caller-signal listener in one, and holds the total
    // limit's timer. Every abort passes a reason made once, because abort() without one builds a DOMException.
    const exchange = new UpstreamExchange(caller, queue, dispatchOptions, requestOptions.dispatch);
    const sources: AbortSources = { caller, total: exchange.totalLimit };
    const totalMs = timerMs(requestOptions.timeouts.totalMs);
    if (totalMs !== undefined) exchange.limitTotal(totalMs);
    caller.addEventListener("abort", exchange, { once: true });
    queue.enter(exchange);
    let head: ResponseHead;
    try {
      head = await exchange.head;
    } catch (error) {
      // The host, not the vendor, had no socket to spare: as much our own limit as a full queue.
      if (!caller.aborted && isLocalSocketExhaustion(error)) {
        throw new ConnectionsBusyError("The gateway could not open another connection to the provider (out of sockets).", { cause: error });
      }
      throw toProviderError(error, sources);
    }

    let consumed = false;
    const consume = (): void => {
      if (consumed) throw new Error("The upstream body can be read only once.");
      consumed = true;
    };
    const iterator: AsyncIterator<Uint8Array> = {
      next: () => exchange.read().catch((error: unknown) => Promise.reject(toProviderError(error, sources))),
      async return() {
        exchange.release();
        return { done: true, value: undefined };
      },
    };
    const body: AsyncIterable<Uint8Array> = {
      [Symbol.asyncIterator]() {
        consume();
        return iterator;
      },
    };

    return new PooledResponse(head, body, async (maxBytes) => {
      consume();
      let text: string | undefined;
      if (Number(head.headers["content-length"]) > maxBytes) {
        exchange.release();
      } else {
        try {
          text = await exchange.text(maxBytes);
        } catch (error) {
          throw toProviderError(error, sources);
        }
      }
      if (text === undefined) throw responseTooLarge("maxResponseBytes", maxBytes);
      return text;
    });
  }

  return {
    request,
    async close() {
      queue.close();
      await pool.close();
    },
  };
}

/** Why a request that waited for a connection failed: the pool closed first. */
const closingReason = new Error("the connection pool closed while the request waited for a connection");

/**
 * The requests of one pool in flight (handed to undici, at most `maxConnections`) and those waiting for
 * one of them, in order. The pool is every exchange's owner: each tells it once that it ended or gave up.
 * Waiting exchanges that gave up stay in the array, marked (`waiting` false), until the head passes them.
 */
class WaitQueue implements ExchangeOwner {
  private active = 0;
  private waitingCount = 0;
  private readonly waiting: (UpstreamExchange | undefined)[] = [];
  private head = 0;
  private pumpScheduled = false;
  private readonly pumpSoon = (): void => {
    this.pumpScheduled = false;
    this.pump();
  };

  constructor(
    private readonly dispatcher: Dispatcher,
    private readonly maxConnections: number,
  ) {}

  /** Every connection is busy and `maxQueued` requests already wait. */
  full(maxQueued: number): boolean {
    return this.active >= this.maxConnections && this.waitingCount >= maxQueued;
  }

  /** Dispatches `exchange` now if a connection is free and nobody waits before it; else it waits. */
  enter(exchange: UpstreamExchange): void {
    if (this.active < this.maxConnections && this.waitingCount === 0) {
      this.active += 1;
      exchange.dispatchOn(this.dispatcher);
      return;
    }
    // Requests that gave up stay in the array until the head passes them: drop them once they are most of it.
    if (this.waiting.length - this.head > 2 * this.waitingCount + 1_024) this.compact();
    this.waiting.push(exchange);
    this.waitingCount += 1;
    exchange.wait();
  }

  ended(): void {
    this.active -= 1;
    if (this.waitingCount === 0 || this.pumpScheduled) return;
    // Not from inside undici's callback: by the next microtask undici counts the connection free again.
    this.pumpScheduled = true;
    queueMicrotask(this.pumpSoon);
  }

  abandoned(): void {
    this.waitingCount -= 1;
    if (this.waitingCount === 0) this.compact();
  }

  /** Fails every waiting request: nothing will be sent any more. */
  close(): void {
    for (let index = this.head; index < this.waiting.length; index += 1) {
      const exchange = this.waiting[index];
      if (exchange?.waiting === true) exchange.fail(closingReason);
    }
    this.compact();
  }

  private pump(): void {
    while (this.active < this.maxConnections && this.waitingCount > 0) {
      const exchange = this.waiting[this.head];
      this.waiting[this.head] = undefined;
      this.head += 1;
      if (exchange?.waiting !== true) continue;
      this.waitingCount -= 1;
      this.active += 1;
      exchange.dispatchOn(this.dispatcher);
    }
    // Drop the part of the array already taken once it is most of it, so the array does not grow forever.
    if (this.waitingCount === 0 || (this.head > 1_024 && this.head * 2 > this.waiting.length)) this.compact();
  }

  /** Keeps only the requests still waiting, in order. */
  private compact(): void {
    let kept = 0;
    for (let index = this.head; index < this.waiting.length; index += 1) {
      const exchange = this.waiting[index];
      if (exchange?.waiting === true) this.waiting[kept++] = exchange;
    }
    this.waiting.length = kept;
    this.head = 0;
  }
}

/** The adapter's headers plus the call's trace context (the adapter's own object when there is none). */
function withTraceHeaders(headers: Record<string, string>, traceHeaders: Readonly<Record<string, string>> | undefined): Record<string, string> {
  return traceHeaders === undefined ? headers : { ...headers, ...traceHeaders };
}
