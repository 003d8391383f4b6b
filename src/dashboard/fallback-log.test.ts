import { describe, expect, it } from "vitest";
import type { AttemptRecord, CompletionEngine, GatewayEvent, GatewayRequest, GatewayResult, RouteRecord } from "../gateway/types.js";
import { GatewayError } from "../gateway/types.js";
import { createFallbackLog, recordFallbacks } from "./fallback-log.js";

const attempt = (deployment: string, outcome: AttemptRecord["outcome"], reason?: AttemptRecord["reason"]): AttemptRecord => ({
  deployment,
  provider: "p",
  outcome,
  reason,
  latencyMs: 1,
  retry: 0,
});

const route = (attempts: AttemptRecord[], source?: RouteRecord["source"]): RouteRecord => ({ requestedModel: "chat", strategy: "priority", attempts, source });

/** An engine that answers with the given route, fails with it, or streams the given events. */
function engineWith(behaviour: { route?: RouteRecord; fail?: RouteRecord; events?: GatewayEvent[] }): CompletionEngine {
  return {
    async complete() {
      if (behaviour.fail !== undefined) {
        throw new GatewayError("PROVIDER_UNAVAILABLE", "all failed", { failure: { requestId: "r", route: behaviour.fail } });
      }
      return { route: behaviour.route } as GatewayResult;
    },
    async *stream() {
      yield* behaviour.events ?? [];
    },
    listModels: () => ({ aliases: [], deployments: [] }),
    deploymentStats: async () => [],
    close: async () => {},
  };
}

const request = { model: "chat" } as GatewayRequest;
const context = { signal: new AbortController().signal, deadlineAt: 0, receivedAt: 0 };

describe("fallback log", () => {
  it("keeps only the newest entries, newest first", () => {
    const log = createFallbackLog(3);
    for (let index = 0; index < 5; index++) {
      log.record({ timeUnixMs: index, requestedModel: "chat", fromDeployment: `d${index}`, toDeployment: "x", reason: "PROVIDER_TIMEOUT" });
    }
    expect(log.recent().map((entry) => entry.timeUnixMs)).toEqual([4, 3, 2]);
  });

  it("records a unary call's moves to another deployment, not its retries on the same one", async () => {
    const log = createFallbackLog();
    const engine = recordFallbacks(
      engineWith({ route: route([attempt("a", "failed", "PROVIDER_RATE_LIMITED"), attempt("a", "failed", "PROVIDER_TIMEOUT"), attempt("b", "succeeded")]) }),
      log,
      () => 42,
    );
    await engine.complete(request, context);
    expect(log.recent()).toEqual([{ timeUnixMs: 42, requestedModel: "chat", fromDeployment: "a", toDeployment: "b", reason: "PROVIDER_TIMEOUT" }]);
  });

  it("records the moves of a call that failed in the end", async () => {
    const log = createFallbackLog();
    const engine = recordFallbacks(engineWith({ fail: route([attempt("a", "failed", "PROVIDER_UNAVAILABLE"), attempt("b", "failed", "PROVIDER_UNAVAILABLE")]) }), log);
    await expect(engine.complete(request, context)).rejects.toBeInstanceOf(GatewayError);
    expect(log.recent().map((entry) => `${entry.fromDeployment}->${entry.toDeployment}`)).toEqual(["a->b"]);
  });

  it("does not count a replayed or cached answer again", async () => {
    const log = createFallbackLog();
    const engine = recordFallbacks(engineWith({ route: route([attempt("a", "failed", "PROVIDER_UNAVAILABLE"), attempt("b", "succeeded")], "cache") }), log);
    await engine.complete(request, context);
    expect(log.recent()).toEqual([]);
  });

  it("records a stream's fallback events as they pass and hands every event on", async () => {
    const log = createFallbackLog();
    const events: GatewayEvent[] = [
      { type: "fallback", fromDeployment: "a", toDeployment: "b", reason: "PROVIDER_UNAVAILABLE" },
      { type: "start", requestId: "r", deployment: "b", provider: "p" },
    ];
    const engine = recordFallbacks(engineWith({ events }), log);
    const seen: GatewayEvent[] = [];
    for await (const event of engine.stream(request, context)) seen.push(event);
    expect(seen).toEqual(events);
    expect(log.recent()).toMatchObject([{ requestedModel: "chat", fromDeployment: "a", toDeployment: "b", reason: "PROVIDER_UNAVAILABLE" }]);
  });
});
