from modelgate.v1 import routing_pb2 as _routing_pb2
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class ErrorReason(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    ERROR_REASON_UNSPECIFIED: _ClassVar[ErrorReason]
    ERROR_REASON_INVALID_REQUEST: _ClassVar[ErrorReason]
    ERROR_REASON_UNKNOWN_MODEL: _ClassVar[ErrorReason]
    ERROR_REASON_MESSAGE_TOO_LARGE: _ClassVar[ErrorReason]
    ERROR_REASON_NO_ELIGIBLE_DEPLOYMENT: _ClassVar[ErrorReason]
    ERROR_REASON_PROVIDER_RATE_LIMITED: _ClassVar[ErrorReason]
    ERROR_REASON_PROVIDER_UNAVAILABLE: _ClassVar[ErrorReason]
    ERROR_REASON_PROVIDER_TIMEOUT: _ClassVar[ErrorReason]
    ERROR_REASON_PROVIDER_AUTH_FAILED: _ClassVar[ErrorReason]
    ERROR_REASON_PROVIDER_INVALID_REQUEST: _ClassVar[ErrorReason]
    ERROR_REASON_CONTEXT_WINDOW_EXCEEDED: _ClassVar[ErrorReason]
    ERROR_REASON_CONTENT_FILTERED: _ClassVar[ErrorReason]
    ERROR_REASON_PROVIDER_MALFORMED_RESPONSE: _ClassVar[ErrorReason]
    ERROR_REASON_PROVIDER_STREAM_INTERRUPTED: _ClassVar[ErrorReason]
    ERROR_REASON_DEADLINE_EXCEEDED: _ClassVar[ErrorReason]
    ERROR_REASON_CANCELED: _ClassVar[ErrorReason]
    ERROR_REASON_COST_LIMIT_EXCEEDED: _ClassVar[ErrorReason]
    ERROR_REASON_RATE_LIMITED: _ClassVar[ErrorReason]
    ERROR_REASON_SHUTTING_DOWN: _ClassVar[ErrorReason]
    ERROR_REASON_INTERNAL: _ClassVar[ErrorReason]
    ERROR_REASON_REQUEST_ID_REUSED: _ClassVar[ErrorReason]
    ERROR_REASON_RUN_LOST: _ClassVar[ErrorReason]
    ERROR_REASON_RESUME_NOT_FOUND: _ClassVar[ErrorReason]
ERROR_REASON_UNSPECIFIED: ErrorReason
ERROR_REASON_INVALID_REQUEST: ErrorReason
ERROR_REASON_UNKNOWN_MODEL: ErrorReason
ERROR_REASON_MESSAGE_TOO_LARGE: ErrorReason
ERROR_REASON_NO_ELIGIBLE_DEPLOYMENT: ErrorReason
ERROR_REASON_PROVIDER_RATE_LIMITED: ErrorReason
ERROR_REASON_PROVIDER_UNAVAILABLE: ErrorReason
ERROR_REASON_PROVIDER_TIMEOUT: ErrorReason
ERROR_REASON_PROVIDER_AUTH_FAILED: ErrorReason
ERROR_REASON_PROVIDER_INVALID_REQUEST: ErrorReason
ERROR_REASON_CONTEXT_WINDOW_EXCEEDED: ErrorReason
ERROR_REASON_CONTENT_FILTERED: ErrorReason
ERROR_REASON_PROVIDER_MALFORMED_RESPONSE: ErrorReason
ERROR_REASON_PROVIDER_STREAM_INTERRUPTED: ErrorReason
ERROR_REASON_DEADLINE_EXCEEDED: ErrorReason
ERROR_REASON_CANCELED: ErrorReason
ERROR_REASON_COST_LIMIT_EXCEEDED: ErrorReason
ERROR_REASON_RATE_LIMITED: ErrorReason
ERROR_REASON_SHUTTING_DOWN: ErrorReason
ERROR_REASON_INTERNAL: ErrorReason
ERROR_REASON_REQUEST_ID_REUSED: ErrorReason
ERROR_REASON_RUN_LOST: ErrorReason
ERROR_REASON_RESUME_NOT_FOUND: ErrorReason

class FailureDetails(_message.Message):
    __slots__ = ("request_id", "usage", "cost_micro_usd", "route")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    USAGE_FIELD_NUMBER: _ClassVar[int]
    COST_MICRO_USD_FIELD_NUMBER: _ClassVar[int]
    ROUTE_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    usage: _routing_pb2.Usage
    cost_micro_usd: int
    route: _routing_pb2.RouteRecord
    def __init__(self, request_id: _Optional[str] = ..., usage: _Optional[_Union[_routing_pb2.Usage, _Mapping]] = ..., cost_micro_usd: _Optional[int] = ..., route: _Optional[_Union[_routing_pb2.RouteRecord, _Mapping]] = ...) -> None: ...
