/**
 * The simulator server: one plain `node:http` server answering all four vendor protocols (their paths do
 * not collide), the `/__sim/*` control API, and a record of every vendor request with secrets redacted.
 */
import http from "node:http";
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import type { Logger } from "pino";
import { anthropicWire } from "./anthropic-wire.js";
import type { SimBehavior, SimRule, Vendor } from "./behavior.js";
import { behaviorForRequest, createIdSource, resolveReply, RuleBook } from "./behavior.js";
import { handleControl } from "./control.js";
import type { Exchange } from "./faults.js";
import { sendNothing, sendReset, sendStatusFault, sendStream, sendUnary } from "./faults.js";
import { DEFAULT_FIXTURES_DIR, fixtureResponse, loadFixture } from "./fixtures.js";
import { geminiWire } from "./gemini-wire.js";
import { ollamaWire } from "./ollama-wire.js";
import { openaiWire } from "./openai-wire.js";
import type { VendorWire, WireContext, WireRoute } from "./wire.js";

/** One vendor request as the simulator saw it. Secret headers are stored as "[redacted:<length>]". */
export interface RecordedRequest {
  id: number;
  vendor: Vendor;
  method: string;
  /** Path and query; a Gemini `?key=` value is redacted. */
  path: string;
  model: string;
  stream: boolean;
  headers: Record<string, string>;
  body: unknown;
  /** Date.now() values. */
  receivedAt: number;
  finishedAt?: number;
  /** The client went away before the simulator finished the response. */
  aborted: boolean;
  abortedAt?: number;
  /** A Gemini API key arrived in the URL query (`?key=`) rather than the x-goog-api-key header. */
  keyInQuery?: boolean;
}

export interface Simulator {
  /** "http://127.0.0.1:PORT" */
  readonly url: string;
  /** The base URL a provider config needs: openai "<url>/v1", anthropic "<url>", gemini "<url>/v1beta", ollama "<url>". */
  baseUrl(vendor: Vendor): string;
  program(rule: SimRule): void;
  setDefault(behavior: SimBehavior): void;
  /** Clears rules, the default behaviour and the recorded requests (ids restart at 1). */
  reset(): void;
  readonly requests: readonly RecordedRequest[];
  waitForRequests(n: number, timeoutMs?: number): Promise<void>;
  /**
   * Client TCP connections open right now: how many carry a response in progress (`busy`), and how many
   * have never carried a request (`unused`: a client pool's spare connections). The rest idle in a
   * keep-alive pool after serving. After a client's requests are all over, `busy` must be 0.
   */
  connections(): { open: number; busy: number; unused: number };
  /** Closes the server and destroys every open socket, streams in progress included. */
  close(): Promise<void>;
}

export interface SimulatorOptions {
  /** Default 0 (any free port). */
  port?: number;
  /** Default "127.0.0.1". */
  host?: string;
  /** Where `fixture:` paths are resolved; default the shared recordings. */
  fixturesDir?: string;
  logger?: Logger;
}

/** One wire per vendor the provider registry names: a registry entry with a new wire fails to compile here. */
const WIRES: Record<Vendor, VendorWire> = { openai: openaiWire, anthropic: anthropicWire, gemini: geminiWire, ollama: ollamaWire };
const WIRE_LIST = Object.values(WIRES);
const SECRET_HEADERS = new Set(["authorization", "x-api-key", "api-key", "x-goog-api-key"]);
const MAX_BODY_BYTES = 16 * 1024 * 1024;

interface Route extends WireRoute {
  wire: VendorWire;
}

/** The wire whose endpoint `pathname` is (the vendors' paths do not collide). */
function routeOf(method: string | undefined, pathname: string): Route | undefined {
  if (method !== "POST") return undefined;
  for (const wire of WIRE_LIST) {
    const route = wire.route(pathname);
    if (route !== undefined) return { ...route, wire };
  }
  return undefined;
}

function recordHeaders(headers: IncomingHttpHeaders): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) continue;
    const text = Array.isArray(value) ? value.join(", ") : value;
    out[name] = SECRET_HEADERS.has(name) ? `[redacted:${text.length}]` : text;
  }
  return out;
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) throw new Error("request body too large");
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString("utf8");
}

/** Starts a simulator on `options.port` (default: a free port) and resolves once it listens. */
export async function startSimulator(options: SimulatorOptions = {}): Promise<Simulator> {
  const host = options.host ?? "127.0.0.1";
  const fixturesDir = options.fixturesDir ?? DEFAULT_FIXTURES_DIR;
  const logger = options.logger;
  const rules = new RuleBook();
  const requests: RecordedRequest[] = [];
  let waiters: { n: number; resolve: () => void }[] = [];

  const target = {
    program: (rule: SimRule) => rules.add(rule),
    setDefault: (behavior: SimBehavior) => rules.setDefault(behavior),
    reset: () => {
      rules.clear();
      requests.length = 0;
    },
    requests,
  };

  function record(entry: RecordedRequest): void {
    requests.push(entry);
    const ready = waiters.filter((waiter) => requests.length >= waiter.n);
    waiters = waiters.filter((waiter) => requests.length < waiter.n);
    for (const waiter of ready) waiter.resolve();
  }

  function exchangeFor(req: IncomingMessage, res: ServerResponse, entry: RecordedRequest): Exchange {
    const controller = new AbortController();
    let selfClosed = false;
    res.on("finish", () => {
      entry.finishedAt = Date.now();
    });
    res.on("close", () => {
      if (!res.writableFinished && !selfClosed) {
        entry.aborted = true;
        entry.abortedAt = Date.now();
      }
      controller.abort();
    });
    return {
      res,
      signal: controller.signal,
      destroy(reset) {
        selfClosed = true;
        entry.finishedAt = Date.now();
        // A reset sends a TCP RST at once; a cut first flushes what was written, then closes mid-body.
        if (reset) req.socket.resetAndDestroy();
        else req.socket.destroySoon();
      },
    };
  }

  async function respond(exchange: Exchange, wire: VendorWire, context: WireContext, behavior: SimBehavior, parseError: boolean): Promise<void> {
    const fault = behavior.fault;
    if (fault?.kind === "reset") return sendReset(exchange, behavior);
    if (fault?.kind === "hang") return sendNothing(exchange);
    if (fault?.kind === "status") return sendStatusFault(exchange, fault, behavior, wire, context);
    const rejection = parseError
      ? { status: 400, message: "We could not parse the JSON body of your request." }
      : wire.validate(context.body, context);
    if (rejection !== undefined) {
      const response = wire.error(rejection.status, context, { message: rejection.message, errorType: rejection.errorType });
      return sendUnary(exchange, response, {}, wire, context);
    }
    if (behavior.fixture !== undefined) {
      const fixture = await loadFixture(fixturesDir, behavior.fixture);
      const fixtureWire = WIRES[fixture.vendor ?? wire.vendor];
      const response = fixtureResponse(fixture, fixtureWire);
      if ("unary" in response) return sendUnary(exchange, response.unary, behavior, fixtureWire, context);
      return sendStream(exchange, response.stream, behavior, fixtureWire, context);
    }
    const reply = resolveReply(wire.vendor, behavior, wire.promptOf(context.body));
    if (context.stream) return sendStream(exchange, wire.stream(reply, context), behavior, wire, context);
    return sendUnary(exchange, wire.unary(reply, context), behavior, wire, context);
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", "http://simulator");
    const raw = await readBody(req);
    if (url.pathname.startsWith("/__sim/")) return handleControl(req, res, url.pathname, raw, target);
    const route = routeOf(req.method, url.pathname);
    if (route === undefined) {
      res.writeHead(404, { "content-type": "application/json" });
      res.end(JSON.stringify({ error: `simulator: no vendor route for ${req.method} ${url.pathname}` }));
      return;
    }
    const wire = route.wire;
    let body: Record<string, unknown> = {};
    let parseError = false;
    try {
      const parsed: unknown = JSON.parse(raw);
      if (parsed !== null && typeof parsed === "object" && !Array.isArray(parsed)) body = parsed as Record<string, unknown>;
      else parseError = true;
    } catch {
      parseError = true;
    }
    const model = route.model ?? (typeof body.model === "string" ? body.model : "");
    const keyInQuery = url.searchParams.has("key");
    if (keyInQuery) url.searchParams.set("key", "[redacted]");
    const entry: RecordedRequest = {
      id: requests.length + 1,
      vendor: wire.vendor,
      method: req.method ?? "POST",
      path: `${url.pathname}${url.search}`,
      model,
      stream: wire.isStream(body, route.pathStream),
      headers: recordHeaders(req.headers),
      body: parseError ? raw : body,
      receivedAt: Date.now(),
      aborted: false,
    };
    if (keyInQuery) entry.keyInQuery = true;
    const exchange = exchangeFor(req, res, entry);
    record(entry);
    logger?.debug({ id: entry.id, vendor: entry.vendor, model, stream: entry.stream }, "simulator request");
    const context: WireContext = {
      requestId: entry.id,
      model,
      stream: entry.stream,
      body,
      query: url.searchParams,
      ids: createIdSource(entry.id),
      receivedAt: entry.receivedAt,
    };
    await respond(exchange, wire, context, behaviorForRequest(rules.take(wire.vendor, model), entry.id), parseError);
  }

  /** Every open socket and the requests it has carried. */
  const sockets = new Map<Socket, number>();
  const busy = new Set<Socket>();
  const server = http.createServer({ noDelay: true }, (req, res) => {
    const socket = req.socket;
    sockets.set(socket, (sockets.get(socket) ?? 0) + 1);
    busy.add(socket);
    res.once("close", () => busy.delete(socket));
    handle(req, res).catch((error: unknown) => {
      logger?.warn({ err: error }, "simulator request failed");
      if (res.headersSent) {
        res.destroy();
        return;
      }
      res.writeHead(500, { "content-type": "application/json" });
      res.end(JSON.stringify({ error: `simulator: ${(error as Error).message ?? String(error)}` }));
    });
  });
  server.on("connection", (socket: Socket) => {
    sockets.set(socket, 0);
    socket.once("close", () => {
      sockets.delete(socket);
      busy.delete(socket);
    });
  });
  // Clients pool connections; outlive a typical 60 s client idle timeout.
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 66_000;
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const url = `http://${host.includes(":") ? `[${host}]` : host}:${address.port}`;
  logger?.info({ url }, "simulator listening");

  return {
    url,
    baseUrl(vendor) {
      return `${url}${WIRES[vendor].basePath}`;
    },
    program: target.program,
    setDefault: target.setDefault,
    reset: target.reset,
    requests,
    waitForRequests(n, timeoutMs = 5_000) {
      if (requests.length >= n) return Promise.resolve();
      return new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => {
          waiters = waiters.filter((waiter) => waiter.resolve !== done);
          reject(new Error(`simulator: expected ${n} requests within ${timeoutMs} ms, got ${requests.length}`));
        }, timeoutMs);
        const done = (): void => {
          clearTimeout(timer);
          resolve();
        };
        waiters.push({ n, resolve: done });
      });
    },
    connections: () => ({ open: sockets.size, busy: busy.size, unused: [...sockets.values()].filter((served) => served === 0).length }),
    close() {
      return new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      });
    },
  };
}
