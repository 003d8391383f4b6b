from modelgate.v1 import completion_pb2 as _completion_pb2
from modelgate.v1 import content_pb2 as _content_pb2
from modelgate.v1 import routing_pb2 as _routing_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class StreamCompleteRequest(_message.Message):
    __slots__ = ("model", "messages", "sampling", "tools", "tool_choice", "response_format", "request_id", "routing", "fallback", "cache", "resume_after_position")
    MODEL_FIELD_NUMBER: _ClassVar[int]
    MESSAGES_FIELD_NUMBER: _ClassVar[int]
    SAMPLING_FIELD_NUMBER: _ClassVar[int]
    TOOLS_FIELD_NUMBER: _ClassVar[int]
    TOOL_CHOICE_FIELD_NUMBER: _ClassVar[int]
    RESPONSE_FORMAT_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    ROUTING_FIELD_NUMBER: _ClassVar[int]
    FALLBACK_FIELD_NUMBER: _ClassVar[int]
    CACHE_FIELD_NUMBER: _ClassVar[int]
    RESUME_AFTER_POSITION_FIELD_NUMBER: _ClassVar[int]
    model: str
    messages: _containers.RepeatedCompositeFieldContainer[_content_pb2.Message]
    sampling: _content_pb2.SamplingParams
    tools: _containers.RepeatedCompositeFieldContainer[_content_pb2.Tool]
    tool_choice: _content_pb2.ToolChoice
    response_format: _content_pb2.ResponseFormat
    request_id: str
    routing: _routing_pb2.RoutingHints
    fallback: _routing_pb2.FallbackPreferences
    cache: bool
    resume_after_position: int
    def __init__(self, model: _Optional[str] = ..., messages: _Optional[_Iterable[_Union[_content_pb2.Message, _Mapping]]] = ..., sampling: _Optional[_Union[_content_pb2.SamplingParams, _Mapping]] = ..., tools: _Optional[_Iterable[_Union[_content_pb2.Tool, _Mapping]]] = ..., tool_choice: _Optional[_Union[_content_pb2.ToolChoice, _Mapping]] = ..., response_format: _Optional[_Union[_content_pb2.ResponseFormat, _Mapping]] = ..., request_id: _Optional[str] = ..., routing: _Optional[_Union[_routing_pb2.RoutingHints, _Mapping]] = ..., fallback: _Optional[_Union[_routing_pb2.FallbackPreferences, _Mapping]] = ..., cache: _Optional[bool] = ..., resume_after_position: _Optional[int] = ...) -> None: ...

class StreamCompleteResponse(_message.Message):
    __slots__ = ("start", "text_delta", "tool_call_delta", "reasoning_delta", "fallback", "finish", "position")
    START_FIELD_NUMBER: _ClassVar[int]
    TEXT_DELTA_FIELD_NUMBER: _ClassVar[int]
    TOOL_CALL_DELTA_FIELD_NUMBER: _ClassVar[int]
    REASONING_DELTA_FIELD_NUMBER: _ClassVar[int]
    FALLBACK_FIELD_NUMBER: _ClassVar[int]
    FINISH_FIELD_NUMBER: _ClassVar[int]
    POSITION_FIELD_NUMBER: _ClassVar[int]
    start: StreamStart
    text_delta: TextDelta
    tool_call_delta: ToolCallDelta
    reasoning_delta: ReasoningDelta
    fallback: FallbackNotice
    finish: StreamFinish
    position: int
    def __init__(self, start: _Optional[_Union[StreamStart, _Mapping]] = ..., text_delta: _Optional[_Union[TextDelta, _Mapping]] = ..., tool_call_delta: _Optional[_Union[ToolCallDelta, _Mapping]] = ..., reasoning_delta: _Optional[_Union[ReasoningDelta, _Mapping]] = ..., fallback: _Optional[_Union[FallbackNotice, _Mapping]] = ..., finish: _Optional[_Union[StreamFinish, _Mapping]] = ..., position: _Optional[int] = ...) -> None: ...

class StreamStart(_message.Message):
    __slots__ = ("request_id", "deployment", "provider")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    DEPLOYMENT_FIELD_NUMBER: _ClassVar[int]
    PROVIDER_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    deployment: str
    provider: str
    def __init__(self, request_id: _Optional[str] = ..., deployment: _Optional[str] = ..., provider: _Optional[str] = ...) -> None: ...

class TextDelta(_message.Message):
    __slots__ = ("text",)
    TEXT_FIELD_NUMBER: _ClassVar[int]
    text: str
    def __init__(self, text: _Optional[str] = ...) -> None: ...

class ToolCallDelta(_message.Message):
    __slots__ = ("index", "id", "name", "arguments_fragment")
    INDEX_FIELD_NUMBER: _ClassVar[int]
    ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    ARGUMENTS_FRAGMENT_FIELD_NUMBER: _ClassVar[int]
    index: int
    id: str
    name: str
    arguments_fragment: str
    def __init__(self, index: _Optional[int] = ..., id: _Optional[str] = ..., name: _Optional[str] = ..., arguments_fragment: _Optional[str] = ...) -> None: ...

class ReasoningDelta(_message.Message):
    __slots__ = ("text",)
    TEXT_FIELD_NUMBER: _ClassVar[int]
    text: str
    def __init__(self, text: _Optional[str] = ...) -> None: ...

class FallbackNotice(_message.Message):
    __slots__ = ("from_deployment", "to_deployment", "reason")
    FROM_DEPLOYMENT_FIELD_NUMBER: _ClassVar[int]
    TO_DEPLOYMENT_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    from_deployment: str
    to_deployment: str
    reason: str
    def __init__(self, from_deployment: _Optional[str] = ..., to_deployment: _Optional[str] = ..., reason: _Optional[str] = ...) -> None: ...

class StreamFinish(_message.Message):
    __slots__ = ("finish_reason", "raw_finish_reason", "usage", "cost_micro_usd", "route", "timings", "warnings", "tool_calls")
    FINISH_REASON_FIELD_NUMBER: _ClassVar[int]
    RAW_FINISH_REASON_FIELD_NUMBER: _ClassVar[int]
    USAGE_FIELD_NUMBER: _ClassVar[int]
    COST_MICRO_USD_FIELD_NUMBER: _ClassVar[int]
    ROUTE_FIELD_NUMBER: _ClassVar[int]
    TIMINGS_FIELD_NUMBER: _ClassVar[int]
    WARNINGS_FIELD_NUMBER: _ClassVar[int]
    TOOL_CALLS_FIELD_NUMBER: _ClassVar[int]
    finish_reason: _completion_pb2.FinishReason
    raw_finish_reason: str
    usage: _routing_pb2.Usage
    cost_micro_usd: int
    route: _routing_pb2.RouteRecord
    timings: _routing_pb2.Timings
    warnings: _containers.RepeatedCompositeFieldContainer[_content_pb2.Warning]
    tool_calls: _containers.RepeatedCompositeFieldContainer[_content_pb2.ToolCall]
    def __init__(self, finish_reason: _Optional[_Union[_completion_pb2.FinishReason, str]] = ..., raw_finish_reason: _Optional[str] = ..., usage: _Optional[_Union[_routing_pb2.Usage, _Mapping]] = ..., cost_micro_usd: _Optional[int] = ..., route: _Optional[_Union[_routing_pb2.RouteRecord, _Mapping]] = ..., timings: _Optional[_Union[_routing_pb2.Timings, _Mapping]] = ..., warnings: _Optional[_Iterable[_Union[_content_pb2.Warning, _Mapping]]] = ..., tool_calls: _Optional[_Iterable[_Union[_content_pb2.ToolCall, _Mapping]]] = ...) -> None: ...
