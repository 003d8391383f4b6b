import { describe, expect, it } from "vitest";
import { Code, ConnectError } from "@connectrpc/connect";
import { BadRequestSchema, ErrorInfoSchema, RetryInfoSchema } from "../../gen/google/rpc/error_details_pb.js";
import { FailureDetailsSchema } from "../../gen/modelgate/v1/errors_pb.js";
import { GatewayError, type ErrorReason } from "../gateway/types.js";
import { toConnectError } from "./to-connect-error.js";

describe("toConnectError", () => {
  const cases: [ErrorReason, Code][] = [
    ["INVALID_REQUEST", Code.InvalidArgument],
    ["UNKNOWN_MODEL", Code.NotFound],
    ["MESSAGE_TOO_LARGE", Code.ResourceExhausted],
    ["NO_ELIGIBLE_DEPLOYMENT", Code.FailedPrecondition],
    ["PROVIDER_RATE_LIMITED", Code.Unavailable],
    ["PROVIDER_UNAVAILABLE", Code.Unavailable],
    ["PROVIDER_TIMEOUT", Code.Unavailable],
    ["PROVIDER_AUTH_FAILED", Code.Internal],
    ["PROVIDER_INVALID_REQUEST", Code.InvalidArgument],
    ["CONTEXT_WINDOW_EXCEEDED", Code.InvalidArgument],
    ["CONTENT_FILTERED", Code.FailedPrecondition],
    ["PROVIDER_MALFORMED_RESPONSE", Code.Unavailable],
    ["PROVIDER_STREAM_INTERRUPTED", Code.Unavailable],
    ["DEADLINE_EXCEEDED", Code.DeadlineExceeded],
    ["CANCELED", Code.Canceled],
    ["COST_LIMIT_EXCEEDED", Code.ResourceExhausted],
    ["RATE_LIMITED", Code.ResourceExhausted],
    ["SHUTTING_DOWN", Code.Unavailable],
    ["INTERNAL", Code.Internal],
    ["UNAUTHENTICATED", Code.Unauthenticated],
    ["PERMISSION_DENIED", Code.PermissionDenied],
    ["KEY_STORE_UNAVAILABLE", Code.Unavailable],
  ];

  it.each(cases)("maps reason %s to the code documented in errors.proto", (reason, code) => {
    const error = toConnectError(new GatewayError(reason, "something failed"), "req-1");
    expect(error.code).toBe(code);
    const infos = error.findDetails(ErrorInfoSchema);
    expect(infos).toHaveLength(1);
    expect(infos[0].domain).toBe("modelgate");
    expect(infos[0].reason).toBe(reason);
    expect(infos[0].metadata.request_id).toBe("req-1");
  });

  it("turns NO_ELIGIBLE_DEPLOYMENT into UNAVAILABLE when only breakers are in the way", () => {
    const error = toConnectError(
      new GatewayError("NO_ELIGIBLE_DEPLOYMENT", "all open", { metadata: { only_breakers: "true" } }),
      "r",
    );
    expect(error.code).toBe(Code.Unavailable);
  });

  it("adds RetryInfo when the wait is known", () => {
    const error = toConnectError(new GatewayError("PROVIDER_RATE_LIMITED", "slow down", { retryAfterMs: 2500 }), "r");
    const [retry] = error.findDetails(RetryInfoSchema);
    expect(retry.retryDelay?.seconds).toBe(2n);
    expect(retry.retryDelay?.nanos).toBe(500_000_000);
    expect(error.code).toBe(Code.Unavailable);
  });

  it("adds BadRequest with every field violation", () => {
    const error = toConnectError(
      new GatewayError("INVALID_REQUEST", "bad", {
        fieldViolations: [
          { field: "model", description: "required" },
          { field: "messages[2].tool_call_id", description: "required for tool messages" },
        ],
      }),
      "r",
    );
    const [badRequest] = error.findDetails(BadRequestSchema);
    expect(badRequest.fieldViolations.map((violation) => violation.field)).toEqual(["model", "messages[2].tool_call_id"]);
  });

  it("adds FailureDetails with partial usage, cost and the route", () => {
    const error = toConnectError(
      new GatewayError("PROVIDER_STREAM_INTERRUPTED", "stream broke", {
        failure: {
          requestId: "req-9",
          usage: { inputTokens: 10, outputTokens: 3, partial: true },
          costMicroUsd: 42,
          route: {
            requestedModel: "chat",
            strategy: "priority",
            attempts: [
              { deployment: "fast", provider: "openai", outcome: "interrupted", reason: "PROVIDER_UNAVAILABLE", latencyMs: 12.4, retry: 0 },
            ],
          },
        },
      }),
      "req-9",
    );
    const [failure] = error.findDetails(FailureDetailsSchema);
    expect(failure.requestId).toBe("req-9");
    expect(failure.usage?.partial).toBe(true);
    expect(failure.usage?.inputTokens).toBe(10);
    expect(failure.usage?.cachedInputTokens).toBeUndefined();
    expect(failure.costMicroUsd).toBe(42n);
    expect(failure.route?.attempts[0].deployment).toBe("fast");
    expect(failure.route?.attempts[0].latencyMs).toBe(12);
  });

  it("hides any other error behind INTERNAL and keeps it only as the cause", () => {
    const original = new Error("upstream said: key sk-secret is invalid");
    const error = toConnectError(original, "r");
    expect(error.code).toBe(Code.Internal);
    expect(error.rawMessage).toBe("internal error");
    expect(error.cause).toBe(original);
    expect(error.findDetails(ErrorInfoSchema)[0].reason).toBe("INTERNAL");
  });

  it("keeps a ConnectError's code and gives it an ErrorInfo when it has none", () => {
    const original = new ConnectError("message size is larger than configured readMaxBytes 10", Code.ResourceExhausted);
    const error = toConnectError(original, "r");
    expect(error.code).toBe(Code.ResourceExhausted);
    expect(error.rawMessage).toBe(original.rawMessage);
    expect(error.findDetails(ErrorInfoSchema).map((info) => info.reason)).toEqual(["MESSAGE_TOO_LARGE"]);
  });

  it("does not add a second ErrorInfo to a ConnectError that has one", () => {
    const first = toConnectError(new GatewayError("UNKNOWN_MODEL", "no such model"), "r");
    const again = toConnectError(first, "r");
    expect(again.findDetails(ErrorInfoSchema)).toHaveLength(1);
    expect(again.code).toBe(Code.NotFound);
  });
});
