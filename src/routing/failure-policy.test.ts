import { describe, expect, it } from "vitest";
import { ProviderError, type ProviderErrorKind } from "../providers/spec.js";
import { cooldownAfterFailure, decideAfterFailure, MAX_COOLDOWN_MS, RETRY_AFTER_SLEEP_CAP_MS, type FailurePolicyInput } from "./failure-policy.js";

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

  it("moves on at once on a Retry-After, keeping a retry no sooner than it as a last resort", () => {
    expect(decide("rate-limited", {}, 2_000)).toEqual({ action: "next", lastResort: { delayMs: 2_000 } });
    expect(decide("unavailable", {}, 3_000)).toEqual({ action: "next", lastResort: { delayMs: 3_000 } });
    expect(decide("rate-limited", { retriesOnDeployment: 2 }, 2_000)).toEqual({ action: "next" });
  });

  it("moves on without a last resort when the Retry-After outlasts the deadline or is a cooldown", () => {
    expect(decide("rate-limited", { deadlineAt: 1_500 }, 2_000)).toEqual({ action: "next" });
    expect(decide("rate-limited", { deadlineAt: 10 * RETRY_AFTER_SLEEP_CAP_MS }, RETRY_AFTER_SLEEP_CAP_MS + 1)).toEqual({ action: "next" });
  });

  it("retries first when the vendor named no wait, or one no longer than the base back-off", () => {
    expect(decide("rate-limited", {}, 0)).toEqual({ action: "retry", delayMs: 50 });
    expect(decide("unavailable", {}, 6)).toEqual({ action: "retry", delayMs: 50 });
    expect(decide("unavailable", {}, 100)).toEqual({ action: "retry", delayMs: 100 });
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

describe("cooldownAfterFailure", () => {
  const backoff = { baseDelayMs: 100, maxDelayMs: 2_000 };
  const cooldown = (kind: ProviderErrorKind, retryAfterMs?: number) => cooldownAfterFailure(new ProviderError(kind, kind, { retryAfterMs }), backoff);

  it("cools a deployment down for the Retry-After of a rate limit or an outage", () => {
    expect(cooldown("rate-limited", 3_000)).toBe(3_000);
    expect(cooldown("unavailable", 1_500)).toBe(1_500);
  });

  it("caps the cooldown so a vendor cannot take a deployment out for good", () => {
    expect(cooldown("rate-limited", 86_400_000)).toBe(MAX_COOLDOWN_MS);
  });

  it("starts none for no wait, a wait within the base back-off, or another kind", () => {
    expect(cooldown("rate-limited")).toBeUndefined();
    expect(cooldown("rate-limited", 0)).toBeUndefined();
    expect(cooldown("unavailable", 6)).toBeUndefined();
    expect(cooldown("unavailable", 100)).toBeUndefined();
    expect(cooldown("timeout", 3_000)).toBeUndefined();
    expect(cooldown("invalid-request", 3_000)).toBeUndefined();
  });
});
