from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class RoutingStrategy(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    ROUTING_STRATEGY_UNSPECIFIED: _ClassVar[RoutingStrategy]
    ROUTING_STRATEGY_PRIORITY: _ClassVar[RoutingStrategy]
    ROUTING_STRATEGY_COST: _ClassVar[RoutingStrategy]
    ROUTING_STRATEGY_LATENCY: _ClassVar[RoutingStrategy]
    ROUTING_STRATEGY_WEIGHTED: _ClassVar[RoutingStrategy]
    ROUTING_STRATEGY_LEAST_BUSY: _ClassVar[RoutingStrategy]
    ROUTING_STRATEGY_COST_UNDER_LATENCY_SLO: _ClassVar[RoutingStrategy]

class AttemptOutcome(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    ATTEMPT_OUTCOME_UNSPECIFIED: _ClassVar[AttemptOutcome]
    ATTEMPT_OUTCOME_SUCCEEDED: _ClassVar[AttemptOutcome]
    ATTEMPT_OUTCOME_FAILED: _ClassVar[AttemptOutcome]
    ATTEMPT_OUTCOME_INTERRUPTED: _ClassVar[AttemptOutcome]
    ATTEMPT_OUTCOME_CANCELED: _ClassVar[AttemptOutcome]

class AnswerSource(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    ANSWER_SOURCE_UNSPECIFIED: _ClassVar[AnswerSource]
    ANSWER_SOURCE_UPSTREAM: _ClassVar[AnswerSource]
    ANSWER_SOURCE_IDEMPOTENT_REPLAY: _ClassVar[AnswerSource]
    ANSWER_SOURCE_CACHE: _ClassVar[AnswerSource]
ROUTING_STRATEGY_UNSPECIFIED: RoutingStrategy
ROUTING_STRATEGY_PRIORITY: RoutingStrategy
ROUTING_STRATEGY_COST: RoutingStrategy
ROUTING_STRATEGY_LATENCY: RoutingStrategy
ROUTING_STRATEGY_WEIGHTED: RoutingStrategy
ROUTING_STRATEGY_LEAST_BUSY: RoutingStrategy
ROUTING_STRATEGY_COST_UNDER_LATENCY_SLO: RoutingStrategy
ATTEMPT_OUTCOME_UNSPECIFIED: AttemptOutcome
ATTEMPT_OUTCOME_SUCCEEDED: AttemptOutcome
ATTEMPT_OUTCOME_FAILED: AttemptOutcome
ATTEMPT_OUTCOME_INTERRUPTED: AttemptOutcome
ATTEMPT_OUTCOME_CANCELED: AttemptOutcome
ANSWER_SOURCE_UNSPECIFIED: AnswerSource
ANSWER_SOURCE_UPSTREAM: AnswerSource
ANSWER_SOURCE_IDEMPOTENT_REPLAY: AnswerSource
ANSWER_SOURCE_CACHE: AnswerSource

class RoutingHints(_message.Message):
    __slots__ = ("strategy", "latency_slo_ms", "max_cost_micro_usd", "tags", "metadata")
    class MetadataEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    STRATEGY_FIELD_NUMBER: _ClassVar[int]
    LATENCY_SLO_MS_FIELD_NUMBER: _ClassVar[int]
    MAX_COST_MICRO_USD_FIELD_NUMBER: _ClassVar[int]
    TAGS_FIELD_NUMBER: _ClassVar[int]
    METADATA_FIELD_NUMBER: _ClassVar[int]
    strategy: RoutingStrategy
    latency_slo_ms: int
    max_cost_micro_usd: int
    tags: _containers.RepeatedScalarFieldContainer[str]
    metadata: _containers.ScalarMap[str, str]
    def __init__(self, strategy: _Optional[_Union[RoutingStrategy, str]] = ..., latency_slo_ms: _Optional[int] = ..., max_cost_micro_usd: _Optional[int] = ..., tags: _Optional[_Iterable[str]] = ..., metadata: _Optional[_Mapping[str, str]] = ...) -> None: ...

class FallbackPreferences(_message.Message):
    __slots__ = ("disable_fallback", "max_attempts", "continue_on_interruption", "fallback_on_content_filter")
    DISABLE_FALLBACK_FIELD_NUMBER: _ClassVar[int]
    MAX_ATTEMPTS_FIELD_NUMBER: _ClassVar[int]
    CONTINUE_ON_INTERRUPTION_FIELD_NUMBER: _ClassVar[int]
    FALLBACK_ON_CONTENT_FILTER_FIELD_NUMBER: _ClassVar[int]
    disable_fallback: bool
    max_attempts: int
    continue_on_interruption: bool
    fallback_on_content_filter: bool
    def __init__(self, disable_fallback: _Optional[bool] = ..., max_attempts: _Optional[int] = ..., continue_on_interruption: _Optional[bool] = ..., fallback_on_content_filter: _Optional[bool] = ...) -> None: ...

class Attempt(_message.Message):
    __slots__ = ("deployment", "provider", "outcome", "reason", "latency_ms", "time_to_first_token_ms", "usage", "cost_micro_usd", "retry")
    DEPLOYMENT_FIELD_NUMBER: _ClassVar[int]
    PROVIDER_FIELD_NUMBER: _ClassVar[int]
    OUTCOME_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    LATENCY_MS_FIELD_NUMBER: _ClassVar[int]
    TIME_TO_FIRST_TOKEN_MS_FIELD_NUMBER: _ClassVar[int]
    USAGE_FIELD_NUMBER: _ClassVar[int]
    COST_MICRO_USD_FIELD_NUMBER: _ClassVar[int]
    RETRY_FIELD_NUMBER: _ClassVar[int]
    deployment: str
    provider: str
    outcome: AttemptOutcome
    reason: str
    latency_ms: int
    time_to_first_token_ms: int
    usage: Usage
    cost_micro_usd: int
    retry: int
    def __init__(self, deployment: _Optional[str] = ..., provider: _Optional[str] = ..., outcome: _Optional[_Union[AttemptOutcome, str]] = ..., reason: _Optional[str] = ..., latency_ms: _Optional[int] = ..., time_to_first_token_ms: _Optional[int] = ..., usage: _Optional[_Union[Usage, _Mapping]] = ..., cost_micro_usd: _Optional[int] = ..., retry: _Optional[int] = ...) -> None: ...

class RouteRecord(_message.Message):
    __slots__ = ("requested_model", "strategy", "deployment", "provider", "vendor_model", "attempts", "source", "saved_cost_micro_usd")
    REQUESTED_MODEL_FIELD_NUMBER: _ClassVar[int]
    STRATEGY_FIELD_NUMBER: _ClassVar[int]
    DEPLOYMENT_FIELD_NUMBER: _ClassVar[int]
    PROVIDER_FIELD_NUMBER: _ClassVar[int]
    VENDOR_MODEL_FIELD_NUMBER: _ClassVar[int]
    ATTEMPTS_FIELD_NUMBER: _ClassVar[int]
    SOURCE_FIELD_NUMBER: _ClassVar[int]
    SAVED_COST_MICRO_USD_FIELD_NUMBER: _ClassVar[int]
    requested_model: str
    strategy: RoutingStrategy
    deployment: str
    provider: str
    vendor_model: str
    attempts: _containers.RepeatedCompositeFieldContainer[Attempt]
    source: AnswerSource
    saved_cost_micro_usd: int
    def __init__(self, requested_model: _Optional[str] = ..., strategy: _Optional[_Union[RoutingStrategy, str]] = ..., deployment: _Optional[str] = ..., provider: _Optional[str] = ..., vendor_model: _Optional[str] = ..., attempts: _Optional[_Iterable[_Union[Attempt, _Mapping]]] = ..., source: _Optional[_Union[AnswerSource, str]] = ..., saved_cost_micro_usd: _Optional[int] = ...) -> None: ...

class Usage(_message.Message):
    __slots__ = ("input_tokens", "cached_input_tokens", "cache_write_input_tokens", "output_tokens", "reasoning_tokens", "partial")
    INPUT_TOKENS_FIELD_NUMBER: _ClassVar[int]
    CACHED_INPUT_TOKENS_FIELD_NUMBER: _ClassVar[int]
    CACHE_WRITE_INPUT_TOKENS_FIELD_NUMBER: _ClassVar[int]
    OUTPUT_TOKENS_FIELD_NUMBER: _ClassVar[int]
    REASONING_TOKENS_FIELD_NUMBER: _ClassVar[int]
    PARTIAL_FIELD_NUMBER: _ClassVar[int]
    input_tokens: int
    cached_input_tokens: int
    cache_write_input_tokens: int
    output_tokens: int
    reasoning_tokens: int
    partial: bool
    def __init__(self, input_tokens: _Optional[int] = ..., cached_input_tokens: _Optional[int] = ..., cache_write_input_tokens: _Optional[int] = ..., output_tokens: _Optional[int] = ..., reasoning_tokens: _Optional[int] = ..., partial: _Optional[bool] = ...) -> None: ...

class Timings(_message.Message):
    __slots__ = ("time_to_first_token_ms", "total_ms")
    TIME_TO_FIRST_TOKEN_MS_FIELD_NUMBER: _ClassVar[int]
    TOTAL_MS_FIELD_NUMBER: _ClassVar[int]
    time_to_first_token_ms: int
    total_ms: int
    def __init__(self, time_to_first_token_ms: _Optional[int] = ..., total_ms: _Optional[int] = ...) -> None: ...
