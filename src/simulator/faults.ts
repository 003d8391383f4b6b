/**
 * Writing responses, with pacing and injected faults, for every vendor. Wire files only produce bytes;
 * this file decides when and how those bytes reach the socket (delays, split UTF-8 writes, resets,
 * hangs, cuts, stalls, malformed, endless or in-band error events). Vendor-specific bytes come from the
 * VendorWire.
 */
import { once } from "node:events";
import type { ServerResponse } from "node:http";
import type { SimBehavior, SimFault } from "./behavior.js";
import type { StreamResponse, UnaryResponse, VendorWire, WireContext } from "./wire.js";

/** One request/response in flight, as the writer sees it. */
export interface Exchange {
  readonly res: ServerResponse;
  /** Aborted when the client goes away (or the simulator closes); writers stop at once. */
  readonly signal: AbortSignal;
  /** Ends the exchange from the simulator's side (TCP RST when `reset`); not recorded as a client abort. */
  destroy(reset?: boolean): void;
}

type StreamFault = Extract<SimFault, { events: number }>;

/** Gap between the two halves of a split UTF-8 write, so they leave in separate TCP segments. */
const SPLIT_GAP_MS = 5;

/**
 * Where an `endless-after` body or event stops if the client never gives up: far past any sane response
 * limit (a gateway that buffers it all shows it in its RSS), yet a finite run.
 */
export const DEFAULT_ENDLESS_MAX_BYTES = 256 * 1024 * 1024;

/** What an endless body or event is filled with, one write at a time. */
const FILLER = Buffer.alloc(64 * 1024, "a");

/** Waits `ms` (0 = no wait at all), returning early when `signal` aborts. */
export function sleep(ms: number | undefined, signal: AbortSignal): Promise<void> {
  if (!ms || ms <= 0 || signal.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    }
    signal.addEventListener("abort", done, { once: true });
  });
}

function waitForAbort(signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) => signal.addEventListener("abort", () => resolve(), { once: true }));
}

async function write(exchange: Exchange, chunk: Buffer | string): Promise<void> {
  if (exchange.signal.aborted || exchange.res.destroyed) return;
  if (!exchange.res.write(chunk)) {
    await once(exchange.res, "drain", { signal: exchange.signal }).catch(() => undefined);
  }
}

/** Index just past the lead byte of the first multi-byte UTF-8 character, or -1 if all ASCII. */
export function utf8SplitPoint(buffer: Buffer): number {
  for (let i = 0; i < buffer.length; i += 1) {
    if ((buffer[i] & 0xc0) === 0xc0) return i + 1;
  }
  return -1;
}

/** Writes one event: one write, or two around a split multi-byte character when `splitUtf8` is set. */
async function writeEvent(exchange: Exchange, bytes: Buffer | string, splitUtf8: boolean | undefined): Promise<void> {
  if (splitUtf8) {
    const buffer = typeof bytes === "string" ? Buffer.from(bytes) : bytes;
    const at = utf8SplitPoint(buffer);
    if (at > 0) {
      await write(exchange, buffer.subarray(0, at));
      await sleep(SPLIT_GAP_MS, exchange.signal);
      await write(exchange, buffer.subarray(at));
      return;
    }
  }
  await write(exchange, bytes);
}

function streamFaultOf(fault: SimFault | undefined): StreamFault | undefined {
  return fault !== undefined && "events" in fault ? fault : undefined;
}

/**
 * Writes `opening`, then filler bytes as fast as the client reads them, with no line end, until the
 * client goes away or `maxBytes` have gone out; then ends the body.
 */
async function writeEndless(exchange: Exchange, opening: string, maxBytes: number): Promise<void> {
  await write(exchange, opening);
  for (let sent = opening.length; sent < maxBytes && !exchange.signal.aborted && !exchange.res.destroyed; sent += FILLER.length) {
    await write(exchange, FILLER);
  }
  if (!exchange.signal.aborted) exchange.res.end();
}

/** Applies a `*-after` fault at the current point of the stream; the exchange is over afterwards. */
async function applyStreamFault(exchange: Exchange, fault: StreamFault, wire: VendorWire, context: WireContext): Promise<void> {
  switch (fault.kind) {
    case "cut-after":
      exchange.destroy();
      return;
    case "eof-after":
      exchange.res.end();
      return;
    case "stall-after":
      exchange.res.flushHeaders();
      await waitForAbort(exchange.signal);
      return;
    case "malformed-after":
      await write(exchange, wire.malformedEvent(context));
      exchange.res.end();
      return;
    case "error-event-after":
      await write(exchange, wire.inBandError(context, fault.message));
      exchange.res.end();
      return;
    case "endless-after":
      // The opening of the vendor's malformed event without its line end: an event that never ends.
      await writeEndless(exchange, wire.malformedEvent(context).trimEnd(), fault.maxBytes ?? DEFAULT_ENDLESS_MAX_BYTES);
      return;
  }
}

/**
 * Sends a stream: headers and events in order, `tokenIntervalMs` between content events. A `*-after: k`
 * fault fires before the (k+1)th content event, or before the terminator if the stream has fewer.
 */
export async function sendStream(
  exchange: Exchange,
  response: StreamResponse,
  behavior: SimBehavior,
  wire: VendorWire,
  context: WireContext,
): Promise<void> {
  const fault = streamFaultOf(behavior.fault);
  await sleep(behavior.firstTokenDelayMs, exchange.signal);
  if (exchange.signal.aborted) return;
  exchange.res.writeHead(200, response.headers);
  // A first-content delay starts once the headers are out, whether or not a preamble event follows.
  if (behavior.firstContentDelayMs !== undefined) exchange.res.flushHeaders();
  let contentWritten = 0;
  for (const event of response.events) {
    if (exchange.signal.aborted) return;
    if (fault !== undefined && ((event.content && contentWritten === fault.events) || event.terminal)) {
      await applyStreamFault(exchange, fault, wire, context);
      return;
    }
    if (event.content) {
      await sleep(contentWritten > 0 ? behavior.tokenIntervalMs : behavior.firstContentDelayMs, exchange.signal);
      if (exchange.signal.aborted) return;
      contentWritten += 1;
    }
    await writeEvent(exchange, event.bytes, behavior.splitUtf8);
  }
  if (fault !== undefined) {
    await applyStreamFault(exchange, fault, wire, context);
    return;
  }
  exchange.res.end();
}

/**
 * Sends a non-streaming body. The `*-after` faults have no events to count here, so they act on the
 * body: cut = half the body then a destroyed socket; eof/malformed = half the body, cleanly ended;
 * stall = headers only; error-event = the vendor's error body with status 200; endless = a JSON body
 * that never ends (chunked, no Content-Length). `firstContentDelayMs` waits between headers and body.
 */
export async function sendUnary(
  exchange: Exchange,
  response: UnaryResponse,
  behavior: SimBehavior,
  wire: VendorWire,
  context: WireContext,
): Promise<void> {
  const fault = streamFaultOf(behavior.fault);
  await sleep(behavior.firstTokenDelayMs, exchange.signal);
  if (exchange.signal.aborted) return;
  const body = typeof response.body === "string" ? Buffer.from(response.body) : response.body;
  const half = body.subarray(0, Math.floor(body.length / 2));
  const { res } = exchange;
  if (behavior.firstContentDelayMs !== undefined && fault?.kind !== "stall-after") {
    res.writeHead(response.status, fault?.kind === "endless-after" ? response.headers : { ...response.headers, "content-length": String(body.length) });
    res.flushHeaders();
    await sleep(behavior.firstContentDelayMs, exchange.signal);
    if (exchange.signal.aborted) return;
  }
  const writeHead = (headers: Record<string, string>): void => {
    if (!res.headersSent) res.writeHead(response.status, headers);
  };
  switch (fault?.kind) {
    case "cut-after":
      writeHead({ ...response.headers, "content-length": String(body.length) });
      await write(exchange, half);
      exchange.destroy();
      return;
    case "eof-after":
    case "malformed-after":
      // With a first-content delay the full length is already promised: the short body is then a cut.
      writeHead({ ...response.headers, "content-length": String(half.length) });
      res.end(half);
      return;
    case "stall-after":
      res.writeHead(response.status, response.headers);
      res.flushHeaders();
      await waitForAbort(exchange.signal);
      return;
    case "error-event-after": {
      const error = wire.error(500, context, { message: fault.message });
      if (!res.headersSent) res.writeHead(200, error.headers);
      res.end(error.body);
      return;
    }
    case "endless-after":
      writeHead(response.headers);
      await writeEndless(exchange, body.subarray(0, Math.min(body.length, 16)).toString("utf8"), fault.maxBytes ?? DEFAULT_ENDLESS_MAX_BYTES);
      return;
    default:
      writeHead({ ...response.headers, "content-length": String(body.length) });
      await writeEvent(exchange, body, behavior.splitUtf8);
      res.end();
  }
}

/** Sends a vendor-shaped error status (Retry-After, retry-after-ms and extra headers as programmed). */
export async function sendStatusFault(
  exchange: Exchange,
  fault: Extract<SimFault, { kind: "status" }>,
  behavior: SimBehavior,
  wire: VendorWire,
  context: WireContext,
): Promise<void> {
  await sleep(behavior.firstTokenDelayMs, exchange.signal);
  if (exchange.signal.aborted) return;
  const seconds = fault.retryAfter !== undefined && /^\d+(\.\d+)?$/.test(fault.retryAfter) ? Number(fault.retryAfter) : undefined;
  const response = wire.error(fault.status, context, {
    message: fault.message,
    errorType: fault.errorType,
    errorCode: fault.errorCode,
    retryAfterSeconds: seconds,
  });
  const headers: Record<string, string> = { ...response.headers };
  // Gemini never sends Retry-After: its wait lives in the body's RetryInfo (add it via `headers` if wanted).
  if (fault.retryAfter !== undefined && wire.vendor !== "gemini") headers["retry-after"] = fault.retryAfter;
  if (fault.retryAfterMs !== undefined) headers["retry-after-ms"] = String(fault.retryAfterMs);
  Object.assign(headers, fault.headers);
  const body = typeof response.body === "string" ? Buffer.from(response.body) : response.body;
  headers["content-length"] = String(body.length);
  exchange.res.writeHead(fault.status, headers);
  exchange.res.end(body);
}

/** Reads the request and never answers: no status, no header, until the client goes away. */
export async function sendNothing(exchange: Exchange): Promise<void> {
  await waitForAbort(exchange.signal);
}

/** Resets the connection before any header is sent. */
export async function sendReset(exchange: Exchange, behavior: SimBehavior): Promise<void> {
  await sleep(behavior.firstTokenDelayMs, exchange.signal);
  exchange.destroy(true);
}
