"""The grpcio scenario runner: sends the StreamComplete request of one shared scenario
(test/scenarios/cases/*.json) and prints the normalised transcript (test/scenarios/README.md).

    python clients/python/scenario_runner.py --target 127.0.0.1:8080 <scenario.json>

RPC errors are part of the transcript; the exit status is non-zero only when the runner itself fails.
"""

import argparse
import json
import sys
from typing import Optional

import grpc

from modelgate.v1 import completion_pb2, content_pb2, routing_pb2, stream_pb2
from modelgate_client import connect, error_details

ROLES = {
    "system": content_pb2.ROLE_SYSTEM,
    "user": content_pb2.ROLE_USER,
    "assistant": content_pb2.ROLE_ASSISTANT,
}

# Connect's code names: the spelling every runner writes.
CODE_NAMES = {code: code.name.lower() for code in grpc.StatusCode}
CODE_NAMES[grpc.StatusCode.CANCELLED] = "canceled"
LOCAL_CODES = {"canceled", "deadline_exceeded"}


def canonical(line: dict) -> str:
    """One transcript line: sorted keys, no spaces, UTF-8 kept."""
    return json.dumps(line, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def stream_request(request: dict, resume_after: Optional[int] = None) -> stream_pb2.StreamCompleteRequest:
    """The StreamComplete request the scenario describes; with ``resume_after``, the call that resumes it."""
    return stream_pb2.StreamCompleteRequest(
        model=request["model"],
        request_id=request.get("requestId", ""),
        resume_after_position=resume_after,
        messages=[
            content_pb2.Message(role=ROLES[m["role"]], parts=[content_pb2.ContentPart(text=m["text"])])
            for m in request["messages"]
        ],
        tools=[
            content_pb2.Tool(
                name=t["name"],
                description=t.get("description", ""),
                parameters_json_schema=t.get("parametersJsonSchema", ""),
            )
            for t in request.get("tools", [])
        ],
    )


def put(target: dict, key: str, value) -> None:
    if value not in ("", None, []):
        target[key] = value


def enum_name(enum_type, value: int, prefix: str) -> str:
    return enum_type.Name(value).removeprefix(prefix)


def usage_object(usage: routing_pb2.Usage) -> dict:
    out: dict = {}
    for field, key in (
        ("input_tokens", "inputTokens"),
        ("cached_input_tokens", "cachedInputTokens"),
        ("cache_write_input_tokens", "cacheWriteInputTokens"),
        ("output_tokens", "outputTokens"),
        ("reasoning_tokens", "reasoningTokens"),
    ):
        if usage.HasField(field):
            out[key] = getattr(usage, field)
    if usage.partial:
        out["partial"] = True
    return out


def route_object(route: routing_pb2.RouteRecord) -> dict:
    out = {"strategy": enum_name(routing_pb2.RoutingStrategy, route.strategy, "ROUTING_STRATEGY_")}
    put(out, "requestedModel", route.requested_model)
    put(out, "deployment", route.deployment)
    put(out, "provider", route.provider)
    put(out, "vendorModel", route.vendor_model)
    attempts = []
    for attempt in route.attempts:
        a = {
            "outcome": enum_name(routing_pb2.AttemptOutcome, attempt.outcome, "ATTEMPT_OUTCOME_"),
            "retry": attempt.retry,
        }
        put(a, "deployment", attempt.deployment)
        put(a, "provider", attempt.provider)
        put(a, "reason", attempt.reason)
        attempts.append(a)
    out["attempts"] = attempts
    return out


def event_line(response: stream_pb2.StreamCompleteResponse) -> dict:
    kind = response.WhichOneof("event")
    if kind == "start":
        return {"type": "start", "deployment": response.start.deployment, "provider": response.start.provider}
    if kind == "fallback":
        f = response.fallback
        return {"type": "fallback", "from": f.from_deployment, "to": f.to_deployment, "reason": f.reason}
    if kind == "text_delta":
        return {"type": "text", "text": response.text_delta.text}
    if kind == "reasoning_delta":
        return {"type": "reasoning", "text": response.reasoning_delta.text}
    if kind == "tool_call_delta":
        d = response.tool_call_delta
        out = {"type": "tool_call", "index": d.index, "arguments": d.arguments_fragment}
        put(out, "id", d.id)
        put(out, "name", d.name)
        return out
    if kind == "finish":
        f = response.finish
        out = {"type": "finish", "finishReason": enum_name(completion_pb2.FinishReason, f.finish_reason, "FINISH_REASON_")}
        put(out, "rawFinishReason", f.raw_finish_reason)
        if f.HasField("usage"):
            out["usage"] = usage_object(f.usage)
        if f.HasField("cost_micro_usd"):
            out["costMicroUsd"] = f.cost_micro_usd
        if f.HasField("route"):
            out["route"] = route_object(f.route)
        put(out, "toolCalls", [{"id": c.id, "name": c.name, "arguments": c.arguments_json} for c in f.tool_calls])
        warnings = []
        for w in f.warnings:
            entry: dict = {}
            put(entry, "code", w.code)
            put(entry, "deployment", w.deployment)
            warnings.append(entry)
        put(out, "warnings", warnings)
        return out
    return {"type": "unknown"}


def error_line(error: grpc.RpcError) -> dict:
    details = error_details(error)
    code = CODE_NAMES.get(details.code, "unknown")
    out: dict = {"type": "error", "code": code}
    if code in LOCAL_CODES:
        return out  # may be produced by the client itself: details are not comparable
    if details.error_info is not None:
        put(out, "domain", details.error_info.domain)
        put(out, "reason", details.error_info.reason)
    if details.retry_info is not None and details.retry_info.HasField("retry_delay"):
        delay = details.retry_info.retry_delay
        out["retryDelayMs"] = delay.seconds * 1000 + (delay.nanos + 500_000) // 1_000_000
    if details.bad_request is not None:
        put(out, "fieldViolations", [v.field for v in details.bad_request.field_violations])
    if details.failure is not None:
        failure: dict = {}
        if details.failure.HasField("usage"):
            failure["usage"] = usage_object(details.failure.usage)
        if details.failure.HasField("cost_micro_usd"):
            failure["costMicroUsd"] = details.failure.cost_micro_usd
        if details.failure.HasField("route"):
            failure["route"] = route_object(details.failure.route)
        out["failure"] = failure
    return out


def run(target: str, scenario: dict) -> list[dict]:
    """One call, or with ``dropAfterEvents`` the dropped call and the call that resumes it."""
    request = scenario["request"]
    lines: list[dict] = []
    channel, stub = connect(target)
    with channel:
        dropped, last_position = read_call(stub, request, None, lines)
        if dropped:
            lines.append({"type": "resume", "afterPosition": last_position})
            read_call(stub, request, last_position, lines)
    return lines


def read_call(stub, request: dict, resume_after: Optional[int], lines: list[dict]) -> tuple[bool, int]:
    """One StreamComplete call, its lines appended to ``lines``; returns (dropped to resume, last position)."""
    deadline_ms = request.get("deadlineMs")
    drop_after = request.get("dropAfterEvents") if resume_after is None else None
    call = stub.StreamComplete(
        stream_request(request, resume_after), timeout=None if deadline_ms is None else deadline_ms / 1000
    )
    stopped = None
    seen = 0
    last_position = 0
    try:
        for response in call:
            if stopped is not None:
                continue  # events after our own cancel are not recorded
            lines.append(event_line(response))
            last_position = response.position
            seen += 1
            if request.get("cancelAfterFirstEvent"):
                stopped = "cancel"
            elif seen == drop_after:
                stopped = "drop"
            if stopped is not None:
                call.cancel()
    except grpc.RpcError as error:
        if stopped != "drop":
            lines.append(error_line(error))
    return stopped == "drop", last_position


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--target", default="127.0.0.1:8080", help="the gateway, host:port")
    parser.add_argument("scenario", help="a test/scenarios/cases/*.json file")
    args = parser.parse_args()
    with open(args.scenario, encoding="utf-8") as handle:
        scenario = json.load(handle)
    out = "".join(canonical(line) + "\n" for line in run(args.target, scenario))
    sys.stdout.buffer.write(out.encode("utf-8"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
