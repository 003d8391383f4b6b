/**
 * One conformance suite run against every vendor kind in the provider registry, over real sockets to
 * the simulator wire the registry names for it (Hono's common.case idea): the same behaviour is
 * programmed into each wire and the normalised result must be the same. The list of adapters comes from
 * the registry, so a new kind runs the suite without anyone adding it here. Where a kind cannot do
 * something, `skipsByKind` says so with the reason, instead of the test quietly passing; a kind that
 * calls no upstream, and so has no wire, is listed in `withoutUpstream` with its reason. Today every
 * adapter passes every case, so `skipsByKind` is empty.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { collectStream } from "../../src/providers/http/stream-to-result.js";
import { providerKinds, providerRegistry, type ProviderKind } from "../../src/providers/registry.js";
import { ProviderError, type ModelCall, type ProviderAdapter, type ProviderSettings, type StreamPart } from "../../src/providers/spec.js";
import { startSimulator, type SimBehavior, type Simulator, type Vendor } from "../../src/simulator/index.js";

type CaseName =
  | "part-order"
  | "usage-reported"
  | "usage-absent"
  | "abort-reaches-upstream"
  | "rate-limited-retry-after"
  | "malformed-event"
  | "eof-without-terminator"
  | "error-event"
  | "tool-call-assembly"
  | "utf8-split"
  | "unary";

interface AdapterCase {
  name: string;
  vendor: Vendor;
  kind: ProviderKind;
  /** Extra settings, e.g. Azure mode; `root` uses the simulator's root URL instead of the vendor's. */
  extra?: Partial<ProviderSettings> & { root?: boolean };
  skips: Partial<Record<CaseName, string>>;
}

/** Kinds with no simulator wire, and why they cannot run the suite. */
const withoutUpstream: Partial<Record<ProviderKind, string>> = {
  echo: "answers in process and calls no upstream, so there is no wire to program",
};

/** Cases a kind cannot pass, with the reason. */
const skipsByKind: Partial<Record<ProviderKind, Partial<Record<CaseName, string>>>> = {};

/** Settings variants run as cases of their own, beside the kind's plain case. */
const variants: Partial<Record<ProviderKind, { name: string; extra: AdapterCase["extra"] }[]>> = {
  "openai-compatible": [{ name: "openai-compatible (Azure mode)", extra: { azureApiVersion: "2024-10-21", root: true } }],
};

const adapters: AdapterCase[] = providerKinds.flatMap((kind) => {
  const vendor = providerRegistry[kind].simulatorWire;
  if (vendor === undefined) return [];
  const skips = skipsByKind[kind] ?? {};
  return [{ name: kind, vendor, kind, skips }, ...(variants[kind] ?? []).map((variant) => ({ ...variant, vendor, kind, skips }))];
});

describe("adapter conformance coverage", () => {
  it("runs every registered kind that has a simulator wire, and names the reason for every kind without one", () => {
    for (const kind of providerKinds) {
      const hasWire = providerRegistry[kind].simulatorWire !== undefined;
      expect({ kind, listedWithoutUpstream: withoutUpstream[kind] !== undefined }).toEqual({ kind, listedWithoutUpstream: !hasWire });
    }
  });
});

const tools: ModelCall["tools"] = [
  { name: "get_weather", description: "Weather for a city", parameters: { type: "object", properties: { city: { type: "string" }, days: { type: "number" } } } },
  { name: "get_time", description: "The time now", parameters: { type: "object", properties: {} } },
];

function call(model: string, overrides: Partial<ModelCall> = {}): ModelCall {
  return {
    vendorModel: model,
    messages: [
      { role: "system", parts: [{ type: "text", text: "You are terse." }] },
      { role: "user", parts: [{ type: "text", text: "Say something." }] },
    ],
    sampling: { maxOutputTokens: 200, stopSequences: [] },
    tools: [],
    timeouts: { connectMs: 5_000, firstTokenMs: 10_000, idleMs: 10_000, totalMs: 30_000 },
    ...overrides,
  };
}

async function collectParts(parts: AsyncIterable<StreamPart>): Promise<StreamPart[]> {
  const result: StreamPart[] = [];
  for await (const part of parts) result.push(part);
  return result;
}

async function errorOf(promise: Promise<unknown>): Promise<ProviderError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(ProviderError);
    return error as ProviderError;
  }
  throw new Error("Expected a ProviderError, got a result.");
}

async function* fromArray<T>(items: T[]): AsyncGenerator<T> {
  yield* items;
}

let sim: Simulator;
beforeAll(async () => {
  sim = await startSimulator();
});
afterAll(async () => {
  await sim.close();
});

for (const adapterCase of adapters) {
  describe(`${adapterCase.name} adapter conformance`, () => {
    let adapter: ProviderAdapter;
    let modelCounter = 0;
    /** A model name unique to each test, so programmed rules never leak between tests. */
    let model = "";

    beforeAll(async () => {
      adapter = await providerRegistry[adapterCase.kind].create({
        name: adapterCase.name,
        kind: adapterCase.kind,
        baseUrl: adapterCase.extra?.root === true ? sim.url : sim.baseUrl(adapterCase.vendor),
        apiKey: "test-key",
        headers: {},
        maxConnections: 4,
        azureApiVersion: adapterCase.extra?.azureApiVersion,
      });
    });
    afterAll(async () => {
      await adapter.close();
    });
    afterEach(() => {
      modelCounter += 1;
    });

    function program(behavior: SimBehavior): string {
      model = `conformance-${adapterCase.name.replace(/\W+/g, "-")}-${modelCounter}`;
      sim.program({ vendor: adapterCase.vendor, model, behavior, times: 1 });
      return model;
    }

    function conformance(name: CaseName, title: string, test: (adapter: ProviderAdapter) => Promise<void>): void {
      const reason = adapterCase.skips[name];
      if (reason !== undefined) {
        it.skip(`${title} (skipped: ${reason})`, () => undefined);
        return;
      }
      it(title, async () => {
        await test(adapter);
      });
    }

    conformance("part-order", "yields warnings and metadata first, then deltas, then exactly one finish last", async (subject) => {
      const parts = await collectParts(subject.stream(call(program({ text: "Hello brave new world" })), new AbortController().signal));
      const firstDelta = parts.findIndex((part) => part.type.endsWith("-delta"));
      const headerIndexes = parts.flatMap((part, index) => (part.type === "warning" || part.type === "metadata" ? [index] : []));
      const lastHeader = Math.max(-1, ...headerIndexes);
      expect(firstDelta).toBeGreaterThan(lastHeader);
      expect(parts.filter((part) => part.type === "finish")).toHaveLength(1);
      expect(parts.at(-1)?.type).toBe("finish");
      const result = await collectStream(fromArray(parts));
      expect(result.text).toBe("Hello brave new world");
      expect(result.finishReason).toBe("stop");
    });

    conformance("usage-reported", "reports the usage the vendor sent", async (subject) => {
      const result = await collectStream(
        subject.stream(call(program({ text: "Counted", usage: { inputTokens: 11, outputTokens: 7 } })), new AbortController().signal),
      );
      expect(result.usage.inputTokens).toBe(11);
      expect(result.usage.outputTokens).toBe(7);
    });

    conformance("usage-absent", "leaves usage absent when the vendor reports none", async (subject) => {
      const result = await collectStream(subject.stream(call(program({ text: "Uncounted", usage: "none" })), new AbortController().signal));
      expect(result.text).toBe("Uncounted");
      expect(result.usage.inputTokens).toBeUndefined();
      expect(result.usage.outputTokens).toBeUndefined();
    });

    conformance("abort-reaches-upstream", "aborts the upstream request within 100 ms of the caller's abort", async (subject) => {
      const controller = new AbortController();
      const requestsBefore = sim.requests.length;
      const iterator = subject
        .stream(call(program({ text: "one two three four five six seven eight", tokenIntervalMs: 300 })), controller.signal)
        [Symbol.asyncIterator]();
      let step = await iterator.next();
      while (step.done !== true && step.value.type !== "text-delta") step = await iterator.next();
      const pending = iterator.next();
      controller.abort();
      const error = await errorOf(pending);
      expect(error.kind).toBe("canceled");
      const recorded = sim.requests[requestsBefore];
      const deadline = Date.now() + 100;
      while (!recorded.aborted && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 5));
      expect(recorded.aborted).toBe(true);
    });

    conformance("rate-limited-retry-after", "maps a 429 with Retry-After to rate-limited with the parsed delay", async (subject) => {
      const error = await errorOf(
        collectParts(subject.stream(call(program({ fault: { kind: "status", status: 429, retryAfter: "3" } })), new AbortController().signal)),
      );
      expect(error.kind).toBe("rate-limited");
      expect(error.retryAfterMs).toBe(3000);
      expect(error.status).toBe(429);
      expect(error.afterContent).toBe(false);
    });

    conformance("malformed-event", "fails with malformed-response on a garbage event", async (subject) => {
      const error = await errorOf(
        collectParts(subject.stream(call(program({ text: "a b c d e", fault: { kind: "malformed-after", events: 2 } })), new AbortController().signal)),
      );
      expect(error.kind).toBe("malformed-response");
      expect(error.afterContent).toBe(true);
    });

    conformance("eof-without-terminator", "fails with malformed-response when the stream ends without its terminator", async (subject) => {
      const error = await errorOf(
        collectParts(subject.stream(call(program({ text: "a b c d e", fault: { kind: "eof-after", events: 2 } })), new AbortController().signal)),
      );
      expect(error.kind).toBe("malformed-response");
      expect(error.afterContent).toBe(true);
    });

    conformance("error-event", "maps an in-band error event to a ProviderError marked after content", async (subject) => {
      const error = await errorOf(
        collectParts(subject.stream(call(program({ text: "a b c d e", fault: { kind: "error-event-after", events: 2 } })), new AbortController().signal)),
      );
      expect(error.afterContent).toBe(true);
      expect(error.isRetryable).toBe(true);
    });

    conformance("tool-call-assembly", "assembles streamed tool calls with parsed arguments", async (subject) => {
      const behavior: SimBehavior = {
        toolCalls: [
          { name: "get_weather", arguments: { city: "Paris, FR", days: 3 } },
          { name: "get_time", arguments: {} },
        ],
        chunkChars: 5,
      };
      const result = await collectStream(subject.stream(call(program(behavior), { tools }), new AbortController().signal));
      expect(result.toolCalls.map((toolCall) => ({ name: toolCall.name, arguments: JSON.parse(toolCall.argumentsJson) as unknown }))).toEqual([
        { name: "get_weather", arguments: { city: "Paris, FR", days: 3 } },
        { name: "get_time", arguments: {} },
      ]);
      expect(result.toolCalls.every((toolCall) => toolCall.id !== "")).toBe(true);
      expect(result.finishReason).toBe("tool-calls");
    });

    conformance("utf8-split", "decodes multi-byte characters split across TCP writes", async (subject) => {
      const text = "Grüße aus Köln 🌍 日本語 ✓";
      const result = await collectStream(subject.stream(call(program({ text, splitUtf8: true })), new AbortController().signal));
      expect(result.text).toBe(text);
    });

    conformance("unary", "answers a unary call with text, finish and usage", async (subject) => {
      const result = await subject.complete(
        call(program({ text: "Unary answer", usage: { inputTokens: 5, outputTokens: 2 } })),
        new AbortController().signal,
      );
      expect(result).toMatchObject({ text: "Unary answer", finishReason: "stop", usage: { inputTokens: 5, outputTokens: 2 } });
    });
  });
}
