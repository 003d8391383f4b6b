import { Pool } from "undici";
import type { AttemptTimeouts } from "../spec.js";
import { joinUrlPath } from "./join-url-path.js";
import { toProviderError, type AbortSources } from "./network-error.js";
import { responseTooLarge } from "./response-limits.js";
import { UpstreamExchange, type ResponseHead } from "./upstream-exchange.js";

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
  timeouts: AttemptTimeouts;
}

/** A keep-alive connection pool to one upstream origin, shared by all calls of one adapter. */
export interface PooledClient {
  /** Sends one request; rejects only with `ProviderError` (`unavailable`, `timeout` or `canceled`). */
  request(options: PooledRequestOptions): Promise<UpstreamResponse>;
  /** Closes the pool's sockets; in-flight requests finish first. */
  close(): Promise<void>;
}

export interface PooledClientOptions {
  baseUrl: string;
  maxConnections: number;
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
 * between body chunks and `totalMs` the whole exchange (body included); the caller's signal and the
 * total limit both abort the exchange (upstream-exchange.ts), and the caller is checked first so a
 * cancel is never mistaken for a timeout. Why a pool and not global `fetch`: a bounded pool per deployment is what the
 * `maxConnections` setting promises, and early-exit from a body must destroy the socket instead of
 * draining it (an abandoned LLM stream can run for minutes).
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
  const pool = new Pool(base.origin, {
    connections: Math.max(1, options.maxConnections),
    connect: { timeout: timerMs(options.connectTimeoutMs ?? 10_000) ?? 10_000 },
    keepAliveTimeout: 30_000,
    pipelining: 1,
  });

  async function request(requestOptions: PooledRequestOptions): Promise<UpstreamResponse> {
    const caller = requestOptions.signal;
    if (caller.aborted) {
      throw toProviderError(caller.reason, { caller });
    }
    // The exchange is the undici handler and the caller-signal listener in one, and holds the total
    // limit's timer. Every abort passes a reason made once, because abort() without one builds a DOMException.
    const exchange = new UpstreamExchange(caller);
    const sources: AbortSources = { caller, total: exchange.totalLimit };
    const totalMs = timerMs(requestOptions.timeouts.totalMs);
    if (totalMs !== undefined) exchange.limitTotal(totalMs);
    caller.addEventListener("abort", exchange, { once: true });
    pool.dispatch(
      {
        path: pathWithQueryFor(requestOptions.path),
        method: requestOptions.method ?? "POST",
        headers: requestOptions.headers,
        body: requestOptions.body,
        headersTimeout: timerMs(requestOptions.timeouts.firstTokenMs) ?? 0,
        bodyTimeout: timerMs(requestOptions.timeouts.idleMs) ?? 0,
      },
      exchange,
    );
    let head: ResponseHead;
    try {
      head = await exchange.head;
    } catch (error) {
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
      await pool.close();
    },
  };
}
