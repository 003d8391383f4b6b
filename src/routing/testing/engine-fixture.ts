/**
 * Test helpers for the engine: a config from a few lines, requests and call contexts, a logger that
 * keeps its lines, and an engine wired to fake adapters, a fake clock and a seeded random source.
 */
import { pino, type Logger } from "pino";
import { configSchema, type GatewayConfig } from "../../config/schema.js";
import type { CallContext, CompletionEngine, GatewayEvent, GatewayRequest } from "../../gateway/types.js";
import { createFakeClock, type FakeClock } from "../../resilience/clock.js";
import { createSeededRandom } from "../../resilience/random.js";
import { createMemoryStore } from "../../state/memory-store.js";
import type { StateStore } from "../../state/state-store.js";
import { createGatewayEngine } from "../create-gateway-engine.js";
import { createFakeAdapter, type FakeAdapter, type FakeAdapterOptions } from "./fake-adapter.js";

/** Parses a raw config the way the loader would (defaults applied). */
export function testConfig(raw: Record<string, unknown>): GatewayConfig {
  return configSchema.parse(raw);
}

/** A minimal valid request for `model`. */
export function testRequest(model: string, overrides: Partial<GatewayRequest> = {}): GatewayRequest {
  return {
    model,
    messages: [{ role: "user", parts: [{ type: "text", text: "Say hello." }] }],
    sampling: { stopSequences: [] },
    tools: [],
    requestId: "req-1",
    routing: { tags: [], metadata: {} },
    fallback: { disableFallback: false, continueOnInterruption: false },
    ...overrides,
  };
}

export interface TestContext extends CallContext {
  cancel(): void;
}

/** A call context on `clock` with `deadlineMs` to go. */
export function testContext(clock: { now(): number }, deadlineMs = 60_000): TestContext {
  const controller = new AbortController();
  const now = clock.now();
  return {
    signal: controller.signal,
    deadlineAt: now + deadlineMs,
    receivedAt: now,
    cancel: () => controller.abort(new Error("client canceled")),
  };
}

/** A pino logger writing parsed lines into `lines`. */
export function capturingLogger(): { logger: Logger; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const logger = pino({ level: "debug" }, { write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>) });
  return { logger, lines };
}

export interface TestEngine {
  engine: CompletionEngine;
  clock: FakeClock;
  adapters: Map<string, FakeAdapter>;
  store: StateStore;
  lines: Record<string, unknown>[];
}

/** Builds an engine over fake adapters (scripts by provider name), an auto-advancing fake clock and seed 42. */
export async function createTestEngine(options: {
  config: GatewayConfig;
  scripts: Record<string, FakeAdapterOptions["scripts"]>;
  seed?: number;
  start?: number;
}): Promise<TestEngine> {
  const clock = createFakeClock({ start: options.start ?? 1_000_000, autoAdvance: true });
  const adapters = new Map<string, FakeAdapter>();
  for (const [provider, scripts] of Object.entries(options.scripts)) {
    adapters.set(provider, createFakeAdapter({ clock, scripts }));
  }
  const store = createMemoryStore();
  const { logger, lines } = capturingLogger();
  const engine = await createGatewayEngine(options.config, {
    logger,
    clock,
    random: createSeededRandom(options.seed ?? 42),
    adapters: new Map(adapters),
    store,
  });
  return { engine, clock, adapters, store, lines };
}

/** Drains a stream into its events, or returns the error it ended with. */
export async function collect(stream: AsyncIterable<GatewayEvent>): Promise<{ events: GatewayEvent[]; error?: unknown }> {
  const events: GatewayEvent[] = [];
  try {
    for await (const event of stream) events.push(event);
    return { events };
  } catch (error) {
    return { events, error };
  }
}
