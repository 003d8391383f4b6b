/**
 * Response size limits, for every vendor kind in the registry, over a real loopback socket to a server
 * that never stops sending: an endless body, an event that never ends, an endless error body. Each
 * attempt must fail with a typed, retryable error (so routing falls back), stop reading (the server sees
 * the connection closed, having written no more than the limit plus what the socket buffers hold), and
 * never hold the event loop (the longest stretch without a timer tick is measured throughout).
 */
import { afterEach, describe, expect, it } from "vitest";
import { createTestCall } from "../../src/providers/http/test-support/create-test-call.js";
import { startTestServer, type RecordedRequest, type TestServer } from "../../src/providers/http/test-support/start-test-server.js";
import { providerKinds, providerRegistry, type ProviderKind, type SimulatorWire } from "../../src/providers/registry.js";
import { ProviderError, type ModelCall, type ProviderAdapter, type ResponseLimits } from "../../src/providers/spec.js";

/** How each wire frames a stream's events, and so how an event that never ends begins. */
const endlessEventOpening: Record<SimulatorWire, { contentType: string; opening: string }> = {
  openai: { contentType: "text/event-stream", opening: 'data: {"id":"chatcmpl-1","choices":[{"delta":{"content":"' },
  anthropic: { contentType: "text/event-stream", opening: 'event: content_block_delta\ndata: {"type":"content_block_delta","delta":{"text":"' },
  gemini: { contentType: "text/event-stream", opening: 'data: {"candidates":[{"content":{"parts":[{"text":"' },
  ollama: { contentType: "application/x-ndjson", opening: '{"model":"m","message":{"role":"assistant","content":"' },
};

const mebibyte = 1024 * 1024;
/** What loopback socket buffers (send and auto-tuned receive) may hold beyond what the client read; about 4 MiB seen. */
const socketSlackBytes = 16 * mebibyte;
const maxEventLoopStallMs = 100;

interface EndlessServer {
  server: TestServer;
  /** Bytes handed to the socket so far. */
  written(): number;
  /** The one request the server received. */
  request(): RecordedRequest;
}

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()?.();
});

/** A server that answers `status` with `opening`, then 64 KiB pieces for ever, as fast as the client reads. */
async function startEndlessServer(status: number, contentType: string, opening: string): Promise<EndlessServer> {
  let written = 0;
  const piece = Buffer.alloc(64 * 1024, "a");
  const server = await startTestServer((_request, response) => {
    response.writeHead(status, { "content-type": contentType });
    response.write(opening);
    const pump = (): void => {
      while (!response.destroyed) {
        written += piece.byteLength;
        if (!response.write(piece)) {
          response.once("drain", pump);
          return;
        }
      }
    };
    pump();
  });
  cleanups.push(() => server.close());
  return { server, written: () => written, request: () => server.requests[0] };
}

async function createAdapter(kind: ProviderKind, baseUrl: string, limits?: ResponseLimits): Promise<ProviderAdapter> {
  const adapter = await providerRegistry[kind].create({ name: kind, kind, baseUrl, apiKey: "test-key", headers: {}, maxConnections: 2, limits });
  cleanups.push(() => adapter.close());
  return adapter;
}

function call(): ModelCall {
  return createTestCall({ timeouts: { connectMs: 2_000, firstTokenMs: 4_000, idleMs: 4_000, totalMs: 4_500 } });
}

async function drain(parts: AsyncIterable<unknown>): Promise<void> {
  for await (const part of parts) void part;
}

/**
 * Watches the event loop with a 1 ms interval: `stop()` returns the longest time between two ticks (or
 * between a tick and the start or the end), which is the longest the loop was held.
 */
function watchEventLoop(): { stop(): number } {
  let last = performance.now();
  let longest = 0;
  const tick = (): void => {
    const now = performance.now();
    longest = Math.max(longest, now - last);
    last = now;
  };
  const interval = setInterval(tick, 1);
  return {
    stop() {
      clearInterval(interval);
      tick();
      return longest;
    },
  };
}

/**
 * Runs `attempt` with the event loop watched, and returns its ProviderError, the longest stall, and how
 * long after the error the server saw the connection closed.
 */
async function failure(endless: EndlessServer, attempt: () => Promise<unknown>): Promise<{ error: ProviderError; stallMs: number; closedAfterMs: number }> {
  const watch = watchEventLoop();
  let error: unknown;
  try {
    await attempt();
  } catch (caught) {
    error = caught;
  }
  const failedAt = performance.now();
  await Promise.race([endless.request().aborted, new Promise((resolve) => setTimeout(resolve, 1_000))]);
  const closedAfterMs = performance.now() - failedAt;
  const stallMs = watch.stop();
  if (!(error instanceof ProviderError)) throw new Error(`expected a ProviderError, got ${String(error)}`);
  return { error, stallMs, closedAfterMs };
}

const kinds = providerKinds.flatMap((kind) => {
  const wire = providerRegistry[kind].simulatorWire;
  return wire === undefined ? [] : [{ kind, wire }];
});

for (const { kind, wire } of kinds) {
  describe(`${kind} adapter response limits`, () => {
    it("fails complete() on an endless body at 32 MiB (the default maxResponseBytes), stops reading and keeps the event loop free", async () => {
      const endless = await startEndlessServer(200, "application/json", '{"id":"');
      const adapter = await createAdapter(kind, endless.server.baseUrl);
      const { error, stallMs, closedAfterMs } = await failure(endless, () => adapter.complete(call(), new AbortController().signal));
      expect(error).toMatchObject({ kind: "malformed-response", message: "The provider's response exceeded 33554432 bytes (maxResponseBytes)." });
      expect(error.isRetryable).toBe(true);
      expect(closedAfterMs).toBeLessThan(100);
      expect(endless.written()).toBeLessThan(32 * mebibyte + socketSlackBytes);
      expect(stallMs).toBeLessThan(maxEventLoopStallMs);
    });

    it("fails stream() on an event that never ends at 1 MiB (the default maxEventBytes), stops reading and keeps the event loop free", async () => {
      const { contentType, opening } = endlessEventOpening[wire];
      const endless = await startEndlessServer(200, contentType, opening);
      const adapter = await createAdapter(kind, endless.server.baseUrl);
      const { error, stallMs, closedAfterMs } = await failure(endless, () => drain(adapter.stream(call(), new AbortController().signal)));
      expect(error).toMatchObject({ kind: "malformed-response", message: "The provider's stream event exceeded 1048576 bytes (maxEventBytes)." });
      expect(error.isRetryable).toBe(true);
      expect(error.afterContent).toBe(false);
      expect(closedAfterMs).toBeLessThan(100);
      expect(endless.written()).toBeLessThan(1 * mebibyte + socketSlackBytes);
      expect(stallMs).toBeLessThan(maxEventLoopStallMs);
    });

    it("reads at most 64 KiB of an endless error body and still classifies the status", async () => {
      const endless = await startEndlessServer(429, "application/json", '{"error":{"message":"');
      const adapter = await createAdapter(kind, endless.server.baseUrl);
      const { error, stallMs, closedAfterMs } = await failure(endless, () => drain(adapter.stream(call(), new AbortController().signal)));
      expect(error.kind).toBe("rate-limited");
      expect(closedAfterMs).toBeLessThan(100);
      expect(endless.written()).toBeLessThan(socketSlackBytes);
      expect(stallMs).toBeLessThan(maxEventLoopStallMs);
    });

    it("applies the provider's configured limits instead of the defaults", async () => {
      const limits: ResponseLimits = { maxResponseBytes: 4096, maxEventBytes: 1024 };
      const body = await startEndlessServer(200, "application/json", '{"id":"');
      const unary = await failure(body, () => createAdapter(kind, body.server.baseUrl, limits).then((adapter) => adapter.complete(call(), new AbortController().signal)));
      expect(unary.error.message).toBe("The provider's response exceeded 4096 bytes (maxResponseBytes).");
      const { contentType, opening } = endlessEventOpening[wire];
      const events = await startEndlessServer(200, contentType, opening);
      const streamed = await failure(events, () => createAdapter(kind, events.server.baseUrl, limits).then((adapter) => drain(adapter.stream(call(), new AbortController().signal))));
      expect(streamed.error.message).toBe("The provider's stream event exceeded 1024 bytes (maxEventBytes).");
    });
  });
}
