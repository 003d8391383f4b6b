/**
 * A small CompletionEngine for server tests: echoes the last user message word by word, and changes
 * behaviour by model name ("fail:<REASON>" throws that GatewayError, "boom" throws a plain Error,
 * "hang" waits for the abort signal, "slow" waits `slowWordMs` between words). It records every call and
 * the signal it was given, so tests can assert that nothing reached the engine or that an abort did.
 */
import type {
  CallContext,
  CompletionEngine,
  ErrorReason,
  GatewayEvent,
  GatewayRequest,
  GatewayResult,
  RouteRecord,
} from "../../src/gateway/types.js";
import { GatewayError } from "../../src/gateway/types.js";

export interface FakeEngine extends CompletionEngine {
  readonly calls: { request: GatewayRequest; context: CallContext }[];
  /** Resolves with the abort reason when the signal of the next (or current) "hang"/"slow" call aborts. */
  aborted(): Promise<unknown>;
}

export interface FakeEngineOptions {
  slowWordMs?: number;
}

function lastUserText(request: GatewayRequest): string {
  for (let index = request.messages.length - 1; index >= 0; index--) {
    const message = request.messages[index];
    if (message.role === "user") {
      return message.parts.map((part) => (part.type === "text" ? part.text : "")).join("");
    }
  }
  return "";
}

function route(request: GatewayRequest): RouteRecord {
  return {
    requestedModel: request.model,
    strategy: "priority",
    deployment: "echo",
    provider: "echo",
    vendorModel: "echo",
    attempts: [{ deployment: "echo", provider: "echo", outcome: "succeeded", latencyMs: 1, retry: 0, usage: { inputTokens: 3, outputTokens: 2 } }],
  };
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal.reason);
    };
    signal.addEventListener("abort", onAbort, { once: true });
  });
}

export function createFakeEngine(options: FakeEngineOptions = {}): FakeEngine {
  const calls: FakeEngine["calls"] = [];
  let abortWaiters: ((reason: unknown) => void)[] = [];

  const watchAbort = (signal: AbortSignal): void => {
    signal.addEventListener(
      "abort",
      () => {
        const waiters = abortWaiters;
        abortWaiters = [];
        for (const wake of waiters) wake(signal.reason);
      },
      { once: true },
    );
  };

  const misbehave = async (request: GatewayRequest, signal: AbortSignal): Promise<void> => {
    if (request.model.startsWith("fail:")) {
      const reason = request.model.slice("fail:".length) as ErrorReason;
      throw new GatewayError(reason, `fake failure ${reason}`, {
        retryAfterMs: reason === "PROVIDER_RATE_LIMITED" ? 1500 : undefined,
        failure: { requestId: request.requestId, route: route(request), usage: { inputTokens: 3, partial: true } },
      });
    }
    if (request.model === "boom") throw new Error("upstream leaked sk-SECRET in its body");
    if (request.model === "hang") {
      await new Promise((_resolve, reject) => {
        if (signal.aborted) reject(signal.reason);
        signal.addEventListener("abort", () => reject(signal.reason), { once: true });
      });
    }
  };

  return {
    calls,
    aborted: () => new Promise((resolve) => abortWaiters.push(resolve)),

    async complete(request, context): Promise<GatewayResult> {
      calls.push({ request, context });
      watchAbort(context.signal);
      await misbehave(request, context.signal);
      return {
        requestId: request.requestId,
        text: lastUserText(request),
        reasoning: "",
        toolCalls: [],
        finishReason: "stop",
        rawFinishReason: "stop",
        usage: { inputTokens: 3, outputTokens: 2 },
        costMicroUsd: 7,
        route: route(request),
        timings: { totalMs: 1 },
        warnings: [],
      };
    },

    async *stream(request, context): AsyncIterable<GatewayEvent> {
      calls.push({ request, context });
      watchAbort(context.signal);
      await misbehave(request, context.signal);
      yield { type: "start", requestId: request.requestId, deployment: "echo", provider: "echo" };
      const words = lastUserText(request).split(/(?<= )/);
      for (const word of words) {
        if (request.model === "slow") await sleep(options.slowWordMs ?? 100, context.signal);
        yield { type: "text-delta", text: word };
      }
      yield {
        type: "finish",
        finishReason: "stop",
        rawFinishReason: "stop",
        usage: { inputTokens: 3, outputTokens: words.length },
        route: route(request),
        timings: { totalMs: 1, timeToFirstTokenMs: 1 },
        warnings: [],
        toolCalls: [],
      };
    },

    listModels() {
      return {
        aliases: [{ name: "echo", strategy: "priority", tiers: [["echo"]] }],
        deployments: [
          {
            name: "echo",
            provider: "echo",
            providerKind: "echo",
            vendorModel: "echo",
            contextWindow: 128_000,
            capabilities: { tools: false, images: false, jsonSchema: false, assistantPrefix: false },
          },
        ],
      };
    },

    async deploymentStats(names) {
      return (names.length > 0 ? names : ["echo"]).map((deployment) => ({
        deployment,
        attempts: 1,
        failures: 0,
        recentErrorRate: 0,
        inFlight: 0,
        latency: { samples: 1, p50Ms: 1 },
        timeToFirstToken: { samples: 0 },
        inputTokens: 3,
        outputTokens: 2,
        costMicroUsd: 7,
        unpricedAttempts: 0,
        breakerState: "closed" as const,
        shadowComparisons: 0,
      }));
    },

    async close() {},
  };
}
