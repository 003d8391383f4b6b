/**
 * Turns protobuf-es messages (shared by the connect-node and grpc-js runners, and the browser runner) into
 * transcript lines. The rules, the same in every runner (../README.md): enum names without their prefix;
 * empty strings, empty lists and absent optionals left out; request ids and timings never written.
 */
import { create } from "@bufbuild/protobuf";
import type { BadRequest, ErrorInfo, RetryInfo } from "../../../gen/google/rpc/error_details_pb.js";
import { FinishReason } from "../../../gen/modelgate/v1/completion_pb.js";
import { Role } from "../../../gen/modelgate/v1/content_pb.js";
import type { FailureDetails } from "../../../gen/modelgate/v1/errors_pb.js";
import { AttemptOutcome, RoutingStrategy } from "../../../gen/modelgate/v1/routing_pb.js";
import type { RouteRecord, Usage } from "../../../gen/modelgate/v1/routing_pb.js";
import type { StreamCompleteRequest, StreamCompleteResponse } from "../../../gen/modelgate/v1/stream_pb.js";
import { StreamCompleteRequestSchema } from "../../../gen/modelgate/v1/stream_pb.js";
import type { ScenarioRequest, TranscriptLine } from "./scenario.js";
import { CODE_NAMES, LOCAL_CODES } from "./scenario.js";

const ROLES: Record<string, Role> = { system: Role.SYSTEM, user: Role.USER, assistant: Role.ASSISTANT };

/** The StreamComplete request a scenario describes; with `resumeAfterPosition`, the call that resumes it. */
export function toStreamRequest(request: ScenarioRequest, resumeAfterPosition?: number): StreamCompleteRequest {
  return create(StreamCompleteRequestSchema, {
    model: request.model,
    requestId: request.requestId ?? "",
    resumeAfterPosition,
    messages: request.messages.map((message) => ({
      role: ROLES[message.role] ?? Role.UNSPECIFIED,
      parts: [{ part: { case: "text" as const, value: message.text } }],
    })),
    tools: (request.tools ?? []).map((tool) => ({
      name: tool.name,
      description: tool.description ?? "",
      parametersJsonSchema: tool.parametersJsonSchema ?? "",
    })),
  });
}

/** One stream event as a transcript line. */
export function eventLine(response: StreamCompleteResponse): TranscriptLine {
  const event = response.event;
  switch (event.case) {
    case "start":
      return { type: "start", deployment: event.value.deployment, provider: event.value.provider };
    case "fallback":
      return { type: "fallback", from: event.value.fromDeployment, to: event.value.toDeployment, reason: event.value.reason };
    case "textDelta":
      return { type: "text", text: event.value.text };
    case "reasoningDelta":
      return { type: "reasoning", text: event.value.text };
    case "toolCallDelta":
      return omitEmpty({
        type: "tool_call",
        index: event.value.index,
        id: event.value.id,
        name: event.value.name,
        arguments: event.value.argumentsFragment,
      }, ["arguments"]);
    case "finish": {
      const finish = event.value;
      return omitEmpty({
        type: "finish",
        finishReason: FinishReason[finish.finishReason],
        rawFinishReason: finish.rawFinishReason,
        usage: finish.usage === undefined ? undefined : usageObject(finish.usage),
        costMicroUsd: finish.costMicroUsd === undefined ? undefined : Number(finish.costMicroUsd),
        route: finish.route === undefined ? undefined : routeObject(finish.route),
        toolCalls: finish.toolCalls.map((call) => ({ id: call.id, name: call.name, arguments: call.argumentsJson })),
        warnings: finish.warnings.map((warning) => omitEmpty({ code: warning.code, deployment: warning.deployment })),
      });
    }
    default:
      return { type: "unknown" };
  }
}

/** The error details a client decoded, whichever client it was. */
export interface DecodedDetails {
  errorInfo?: ErrorInfo;
  retryInfo?: RetryInfo;
  badRequest?: BadRequest;
  failure?: FailureDetails;
}

/** The error that ended a call as a transcript line; `code` is the gRPC status number. */
export function errorLine(code: number, details: DecodedDetails): TranscriptLine {
  const name = CODE_NAMES[code] ?? `code_${code}`;
  if (LOCAL_CODES.has(name)) return { type: "error", code: name };
  const delay = details.retryInfo?.retryDelay;
  return omitEmpty({
    type: "error",
    code: name,
    domain: details.errorInfo?.domain,
    reason: details.errorInfo?.reason,
    retryDelayMs: delay === undefined ? undefined : Number(delay.seconds) * 1000 + Math.round(delay.nanos / 1_000_000),
    fieldViolations: details.badRequest?.fieldViolations.map((violation) => violation.field) ?? [],
    failure:
      details.failure === undefined
        ? undefined
        : omitEmpty({
            usage: details.failure.usage === undefined ? undefined : usageObject(details.failure.usage),
            costMicroUsd: details.failure.costMicroUsd === undefined ? undefined : Number(details.failure.costMicroUsd),
            route: details.failure.route === undefined ? undefined : routeObject(details.failure.route),
          }),
  });
}

function usageObject(usage: Usage): Record<string, unknown> {
  return omitEmpty({
    inputTokens: usage.inputTokens,
    cachedInputTokens: usage.cachedInputTokens,
    cacheWriteInputTokens: usage.cacheWriteInputTokens,
    outputTokens: usage.outputTokens,
    reasoningTokens: usage.reasoningTokens,
    partial: usage.partial ? true : undefined,
  });
}

function routeObject(route: RouteRecord): Record<string, unknown> {
  return omitEmpty(
    {
      requestedModel: route.requestedModel,
      strategy: RoutingStrategy[route.strategy],
      deployment: route.deployment,
      provider: route.provider,
      vendorModel: route.vendorModel,
      attempts: route.attempts.map((attempt) =>
        omitEmpty({
          deployment: attempt.deployment,
          provider: attempt.provider,
          outcome: AttemptOutcome[attempt.outcome],
          reason: attempt.reason,
          retry: attempt.retry,
        }),
      ),
    },
    ["attempts"],
  );
}

/** Drops undefined, "" and [] values, except for the keys in `keep` (written even when empty). */
function omitEmpty<T extends Record<string, unknown>>(object: T, keep: readonly string[] = []): T {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(object)) {
    const empty = value === undefined || value === "" || (Array.isArray(value) && value.length === 0);
    if (!empty || (keep.includes(key) && value !== undefined)) out[key] = value;
  }
  return out as T;
}
