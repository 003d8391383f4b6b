import { Code, ConnectError, createContextValues, type HandlerContext } from "@connectrpc/connect";
import { describe, expect, it } from "vitest";
import { GatewayService } from "../../gen/modelgate/v1/gateway_service_pb.js";
import { GatewayError } from "../gateway/types.js";
import { createLogger } from "../observability/logger.js";
import type { AdoptableSignal, AdoptedSignal } from "./adoptable-signal.js";
import { openCallScope } from "./call-scope.js";

const settings = { defaultDeadlineMs: 60_000, maxDeadlineMs: 600_000, logger: createLogger({ level: "silent" }) };

type TestContext = HandlerContext & Partial<AdoptableSignal> & { adopted(): boolean; abortOwn(reason: unknown): void };

/** A handler context over `controller`; with `adoptable`, it offers its signal as the fast paths' contexts do. */
function context(controller: AbortController, adoptable: boolean): TestContext {
  let mapReason: ((reason: unknown) => unknown) | undefined;
  const base: HandlerContext = {
    service: GatewayService,
    method: GatewayService.method.complete,
    protocolName: "connect",
    requestMethod: "POST",
    url: "http://127.0.0.1/modelgate.v1.GatewayService/Complete",
    signal: controller.signal,
    timeoutMs: () => undefined,
    requestHeader: new Headers(),
    responseHeader: new Headers(),
    responseTrailer: new Headers(),
    values: createContextValues(),
  };
  const abortAsIs = (reason: unknown): void => controller.abort(reason);
  return {
    ...base,
    adopted: () => mapReason !== undefined,
    // The context's own aborts (client gone, deadline, shutdown) go through the adopter's mapping.
    ...(adoptable
      ? {
          adoptSignal(map: (reason: unknown) => unknown): AdoptedSignal {
            mapReason = map;
            return { signal: controller.signal, abort: abortAsIs, release: () => (mapReason = undefined) };
          },
        }
      : {}),
    abortOwn(reason: unknown) {
      abortAsIs(mapReason === undefined ? reason : mapReason(reason));
    },
  };
}

describe("openCallScope", () => {
  it("hands the engine the context's own signal when the context offers it, and gives it back at the end", () => {
    const controller = new AbortController();
    const ctx = context(controller, true);
    const scope = openCallScope("Complete", ctx, settings);
    expect(scope.callContext.signal).toBe(controller.signal);
    expect(ctx.adopted()).toBe(true);
    scope.succeed();
    scope.end();
    expect(ctx.adopted()).toBe(false);
  });

  it("links a signal of its own to a context that does not offer one", () => {
    const controller = new AbortController();
    const scope = openCallScope("Complete", context(controller, false), settings);
    expect(scope.callContext.signal).not.toBe(controller.signal);
    controller.abort(new ConnectError("the client went away", Code.Canceled));
    expect(scope.callContext.signal.reason).toBeInstanceOf(GatewayError);
    expect((scope.callContext.signal.reason as GatewayError).reason).toBe("CANCELED");
    scope.end();
  });

  it("gives the engine the same GatewayError reasons either way", () => {
    for (const adoptable of [true, false]) {
      for (const [thrown, expected] of [
        [new ConnectError("the operation timed out", Code.DeadlineExceeded), "DEADLINE_EXCEEDED"],
        [new ConnectError("the gateway is shutting down", Code.Unavailable), "SHUTTING_DOWN"],
        [new ConnectError("the client went away", Code.Canceled), "CANCELED"],
      ] as const) {
        const controller = new AbortController();
        const ctx = context(controller, adoptable);
        const scope = openCallScope("Complete", ctx, settings);
        if (adoptable) ctx.abortOwn(thrown);
        else controller.abort(thrown);
        const reason = scope.callContext.signal.reason as GatewayError;
        expect(reason).toBeInstanceOf(GatewayError);
        expect(reason.reason).toBe(expected);
        scope.end();
      }
    }
  });

  it("aborts the adopted signal with DEADLINE_EXCEEDED when its own default deadline passes", async () => {
    const controller = new AbortController();
    const scope = openCallScope("Complete", context(controller, true), { ...settings, defaultDeadlineMs: 5 });
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(controller.signal.aborted).toBe(true);
    expect((controller.signal.reason as GatewayError).reason).toBe("DEADLINE_EXCEEDED");
    scope.end();
  });
});
