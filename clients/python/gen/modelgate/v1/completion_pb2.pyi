from modelgate.v1 import content_pb2 as _content_pb2
from modelgate.v1 import routing_pb2 as _routing_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class FinishReason(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    FINISH_REASON_UNSPECIFIED: _ClassVar[FinishReason]
    FINISH_REASON_STOP: _ClassVar[FinishReason]
    FINISH_REASON_LENGTH: _ClassVar[FinishReason]
    FINISH_REASON_TOOL_CALLS: _ClassVar[FinishReason]
    FINISH_REASON_CONTENT_FILTER: _ClassVar[FinishReason]
    FINISH_REASON_OTHER: _ClassVar[FinishReason]
FINISH_REASON_UNSPECIFIED: FinishReason
FINISH_REASON_STOP: FinishReason
FINISH_REASON_LENGTH: FinishReason
FINISH_REASON_TOOL_CALLS: FinishReason
FINISH_REASON_CONTENT_FILTER: FinishReason
FINISH_REASON_OTHER: FinishReason

class CompleteRequest(_message.Message):
    __slots__ = ("model", "messages", "sampling", "tools", "tool_choice", "response_format", "request_id", "routing", "fallback", "cache")
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
    def __init__(self, model: _Optional[str] = ..., messages: _Optional[_Iterable[_Union[_content_pb2.Message, _Mapping]]] = ..., sampling: _Optional[_Union[_content_pb2.SamplingParams, _Mapping]] = ..., tools: _Optional[_Iterable[_Union[_content_pb2.Tool, _Mapping]]] = ..., tool_choice: _Optional[_Union[_content_pb2.ToolChoice, _Mapping]] = ..., response_format: _Optional[_Union[_content_pb2.ResponseFormat, _Mapping]] = ..., request_id: _Optional[str] = ..., routing: _Optional[_Union[_routing_pb2.RoutingHints, _Mapping]] = ..., fallback: _Optional[_Union[_routing_pb2.FallbackPreferences, _Mapping]] = ..., cache: _Optional[bool] = ...) -> None: ...

class CompleteResponse(_message.Message):
    __slots__ = ("request_id", "text", "tool_calls", "reasoning", "finish_reason", "raw_finish_reason", "usage", "cost_micro_usd", "route", "timings", "warnings")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    TEXT_FIELD_NUMBER: _ClassVar[int]
    TOOL_CALLS_FIELD_NUMBER: _ClassVar[int]
    REASONING_FIELD_NUMBER: _ClassVar[int]
    FINISH_REASON_FIELD_NUMBER: _ClassVar[int]
    RAW_FINISH_REASON_FIELD_NUMBER: _ClassVar[int]
    USAGE_FIELD_NUMBER: _ClassVar[int]
    COST_MICRO_USD_FIELD_NUMBER: _ClassVar[int]
    ROUTE_FIELD_NUMBER: _ClassVar[int]
    TIMINGS_FIELD_NUMBER: _ClassVar[int]
    WARNINGS_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    text: str
    tool_calls: _containers.RepeatedCompositeFieldContainer[_content_pb2.ToolCall]
    reasoning: str
    finish_reason: FinishReason
    raw_finish_reason: str
    usage: _routing_pb2.Usage
    cost_micro_usd: int
    route: _routing_pb2.RouteRecord
    timings: _routing_pb2.Timings
    warnings: _containers.RepeatedCompositeFieldContainer[_content_pb2.Warning]
    def __init__(self, request_id: _Optional[str] = ..., text: _Optional[str] = ..., tool_calls: _Optional[_Iterable[_Union[_content_pb2.ToolCall, _Mapping]]] = ..., reasoning: _Optional[str] = ..., finish_reason: _Optional[_Union[FinishReason, str]] = ..., raw_finish_reason: _Optional[str] = ..., usage: _Optional[_Union[_routing_pb2.Usage, _Mapping]] = ..., cost_micro_usd: _Optional[int] = ..., route: _Optional[_Union[_routing_pb2.RouteRecord, _Mapping]] = ..., timings: _Optional[_Union[_routing_pb2.Timings, _Mapping]] = ..., warnings: _Optional[_Iterable[_Union[_content_pb2.Warning, _Mapping]]] = ...) -> None: ...
