/**
 * The engine's results and stream events to protobuf responses. int64 fields become bigint; optional
 * fields stay absent when the engine did not know them (unknown usage is not zero).
 */
import { create } from "@bufbuild/protobuf";
import {
  CompleteResponseSchema,
  FinishReason,
  type CompleteResponse,
} from "../../gen/modelgate/v1/completion_pb.js";
import { ToolCallSchema, type ToolCall as ProtoToolCall } from "../../gen/modelgate/v1/content_pb.js";
import { StreamCompleteResponseSchema, type StreamCompleteResponse } from "../../gen/modelgate/v1/stream_pb.js";
import type { GatewayEvent, GatewayResult } from "../gateway/types.js";
import type { FinishReason as GatewayFinishReason, ToolCall } from "../providers/spec.js";
import { toProtoCost, toProtoRoute, toProtoTimings, toProtoUsage, toProtoWarning } from "./convert-route.js";

const finishReasons: Record<GatewayFinishReason, FinishReason> = {
  stop: FinishReason.STOP,
  length: FinishReason.LENGTH,
  "tool-calls": FinishReason.TOOL_CALLS,
  "content-filter": FinishReason.CONTENT_FILTER,
  other: FinishReason.OTHER,
};

function toProtoToolCall(call: ToolCall): ProtoToolCall {
  return create(ToolCallSchema, { id: call.id, name: call.name, argumentsJson: call.argumentsJson });
}

/** A complete answer. */
export function toCompleteResponse(result: GatewayResult): CompleteResponse {
  return create(CompleteResponseSchema, {
    requestId: result.requestId,
    text: result.text,
    toolCalls: result.toolCalls.map(toProtoToolCall),
    reasoning: result.reasoning,
    finishReason: finishReasons[result.finishReason],
    rawFinishReason: result.rawFinishReason,
    usage: toProtoUsage(result.usage),
    costMicroUsd: toProtoCost(result.costMicroUsd),
    route: toProtoRoute(result.route),
    timings: toProtoTimings(result.timings),
    warnings: result.warnings.map(toProtoWarning),
  });
}

/** One stream event, with its position when the replay layer numbered it. */
export function toStreamResponse(event: GatewayEvent): StreamCompleteResponse {
  const response = toStreamEvent(event);
  response.position = event.position ?? 0;
  return response;
}

function toStreamEvent(event: GatewayEvent): StreamCompleteResponse {
  switch (event.type) {
    case "start":
      return create(StreamCompleteResponseSchema, {
        event: {
          case: "start",
          value: { requestId: event.requestId, deployment: event.deployment, provider: event.provider },
        },
      });
    case "fallback":
      return create(StreamCompleteResponseSchema, {
        event: {
          case: "fallback",
          value: { fromDeployment: event.fromDeployment, toDeployment: event.toDeployment, reason: event.reason },
        },
      });
    case "text-delta":
      return create(StreamCompleteResponseSchema, { event: { case: "textDelta", value: { text: event.text } } });
    case "reasoning-delta":
      return create(StreamCompleteResponseSchema, { event: { case: "reasoningDelta", value: { text: event.text } } });
    case "tool-call-delta":
      return create(StreamCompleteResponseSchema, {
        event: {
          case: "toolCallDelta",
          value: { index: event.index, id: event.id ?? "", name: event.name ?? "", argumentsFragment: event.argumentsDelta },
        },
      });
    case "finish":
      return create(StreamCompleteResponseSchema, {
        event: {
          case: "finish",
          value: {
            finishReason: finishReasons[event.finishReason],
            rawFinishReason: event.rawFinishReason,
            usage: toProtoUsage(event.usage),
            costMicroUsd: toProtoCost(event.costMicroUsd),
            route: toProtoRoute(event.route),
            timings: toProtoTimings(event.timings),
            warnings: event.warnings.map(toProtoWarning),
            toolCalls: event.toolCalls.map(toProtoToolCall),
          },
        },
      });
  }
}
