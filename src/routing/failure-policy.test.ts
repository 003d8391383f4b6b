import { describe, expect, it } from "vitest";
import { ProviderError, type ProviderErrorKind } from "../providers/spec.js";
import { decideAfterFailure, RETRY_AFTER_SLEEP_CAP_MS, type FailurePolicyInput } from "./failure-policy.js";

function decide(kind: ProviderErrorKind, overrides: Partial<FailurePolicyInput> = {}, retryAfterMs?: number) {
  return decideAfterFailure({
    error: new ProviderError(kind, kind, { retryAfterMs }),
    retriesOnDeployment: 0,
    maxRetriesPerDeployment: 2,
    backoff: { baseDelayMs: 100, maxDelayMs: 2_000 },
    random: () => 0.5,
    now: 0,
    deadlineAt: 60_000,
    contextWindow: 8_000,
    allowContentFilterFallback: false,
    ...overrides,
  });
}

describe("decideAfterFailure", () => {
  it("retries transient faults on the same deployment with jittered back-off", () => {
    expect(decide("unavailable")).toEqual({ action: "retry", delayMs: 50 });
    expect(decide("rate-limited", { retriesOnDeployment: 1 })).toEqual({ action: "retry", delayMs: 100 });
    expect(decide("malformed-response")).toEqual({ action: "retry", delayMs: 50 });
  });

  it("moves on once the deployment's retries are spent", () => {
    expect(decide("unavailable", { retriesOnDeployment: 2 })).toEqual({ action: "next" });
  });

  it("waits for Retry-After, or moves on when it outlasts the deadline or is a cooldown", () => {
    expect(decide("rate-limited", {}, 2_000)).toEqual({ action: "retry", delayMs: 2_000 });
    expect(decide("rate-limited", { deadlineAt: 1_500 }, 2_000)).toEqual({ action: "next" });
    expect(decide("rate-limited", { deadlineAt: 10 * RETRY_AFTER_SLEEP_CAP_MS }, RETRY_AFTER_SLEEP_CAP_MS + 1)).toEqual({ action: "next" });
  });

  it("never retries a silent route after a timeout", () => {
    expect(decide("timeout")).toEqual({ action: "next" });
  });

  it("asks for a larger window after a context-length error", () => {
    expect(decide("context-length-exceeded")).toEqual({ action: "next", minContextWindow: 8_001 });
  });

  it("stops on a content filter unless fallback is allowed", () => {
    expect(decide("content-filtered")).toEqual({ action: "stop" });
    expect(decide("content-filtered", { allowContentFilterFallback: true })).toEqual({ action: "next" });
  });

  it("stops on an invalid request and moves on from an auth failure", () => {
    expect(decide("invalid-request")).toEqual({ action: "stop" });
    expect(decide("auth-failed")).toEqual({ action: "next" });
  });
});
