from modelgate.v1 import routing_pb2 as _routing_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class BreakerState(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    BREAKER_STATE_UNSPECIFIED: _ClassVar[BreakerState]
    BREAKER_STATE_CLOSED: _ClassVar[BreakerState]
    BREAKER_STATE_OPEN: _ClassVar[BreakerState]
    BREAKER_STATE_HALF_OPEN: _ClassVar[BreakerState]
BREAKER_STATE_UNSPECIFIED: BreakerState
BREAKER_STATE_CLOSED: BreakerState
BREAKER_STATE_OPEN: BreakerState
BREAKER_STATE_HALF_OPEN: BreakerState

class Price(_message.Message):
    __slots__ = ("input_nano_usd", "cached_input_nano_usd", "output_nano_usd", "as_of")
    INPUT_NANO_USD_FIELD_NUMBER: _ClassVar[int]
    CACHED_INPUT_NANO_USD_FIELD_NUMBER: _ClassVar[int]
    OUTPUT_NANO_USD_FIELD_NUMBER: _ClassVar[int]
    AS_OF_FIELD_NUMBER: _ClassVar[int]
    input_nano_usd: int
    cached_input_nano_usd: int
    output_nano_usd: int
    as_of: str
    def __init__(self, input_nano_usd: _Optional[int] = ..., cached_input_nano_usd: _Optional[int] = ..., output_nano_usd: _Optional[int] = ..., as_of: _Optional[str] = ...) -> None: ...

class Capabilities(_message.Message):
    __slots__ = ("tools", "images", "json_schema", "assistant_prefix")
    TOOLS_FIELD_NUMBER: _ClassVar[int]
    IMAGES_FIELD_NUMBER: _ClassVar[int]
    JSON_SCHEMA_FIELD_NUMBER: _ClassVar[int]
    ASSISTANT_PREFIX_FIELD_NUMBER: _ClassVar[int]
    tools: bool
    images: bool
    json_schema: bool
    assistant_prefix: bool
    def __init__(self, tools: _Optional[bool] = ..., images: _Optional[bool] = ..., json_schema: _Optional[bool] = ..., assistant_prefix: _Optional[bool] = ...) -> None: ...

class Deployment(_message.Message):
    __slots__ = ("name", "provider", "provider_kind", "vendor_model", "context_window", "price", "capabilities")
    NAME_FIELD_NUMBER: _ClassVar[int]
    PROVIDER_FIELD_NUMBER: _ClassVar[int]
    PROVIDER_KIND_FIELD_NUMBER: _ClassVar[int]
    VENDOR_MODEL_FIELD_NUMBER: _ClassVar[int]
    CONTEXT_WINDOW_FIELD_NUMBER: _ClassVar[int]
    PRICE_FIELD_NUMBER: _ClassVar[int]
    CAPABILITIES_FIELD_NUMBER: _ClassVar[int]
    name: str
    provider: str
    provider_kind: str
    vendor_model: str
    context_window: int
    price: Price
    capabilities: Capabilities
    def __init__(self, name: _Optional[str] = ..., provider: _Optional[str] = ..., provider_kind: _Optional[str] = ..., vendor_model: _Optional[str] = ..., context_window: _Optional[int] = ..., price: _Optional[_Union[Price, _Mapping]] = ..., capabilities: _Optional[_Union[Capabilities, _Mapping]] = ...) -> None: ...

class Alias(_message.Message):
    __slots__ = ("name", "strategy", "tiers")
    NAME_FIELD_NUMBER: _ClassVar[int]
    STRATEGY_FIELD_NUMBER: _ClassVar[int]
    TIERS_FIELD_NUMBER: _ClassVar[int]
    name: str
    strategy: _routing_pb2.RoutingStrategy
    tiers: _containers.RepeatedCompositeFieldContainer[AliasTier]
    def __init__(self, name: _Optional[str] = ..., strategy: _Optional[_Union[_routing_pb2.RoutingStrategy, str]] = ..., tiers: _Optional[_Iterable[_Union[AliasTier, _Mapping]]] = ...) -> None: ...

class AliasTier(_message.Message):
    __slots__ = ("deployments",)
    DEPLOYMENTS_FIELD_NUMBER: _ClassVar[int]
    deployments: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, deployments: _Optional[_Iterable[str]] = ...) -> None: ...

class LatencySummary(_message.Message):
    __slots__ = ("p50_ms", "p95_ms", "p99_ms", "ewma_ms", "samples")
    P50_MS_FIELD_NUMBER: _ClassVar[int]
    P95_MS_FIELD_NUMBER: _ClassVar[int]
    P99_MS_FIELD_NUMBER: _ClassVar[int]
    EWMA_MS_FIELD_NUMBER: _ClassVar[int]
    SAMPLES_FIELD_NUMBER: _ClassVar[int]
    p50_ms: float
    p95_ms: float
    p99_ms: float
    ewma_ms: float
    samples: int
    def __init__(self, p50_ms: _Optional[float] = ..., p95_ms: _Optional[float] = ..., p99_ms: _Optional[float] = ..., ewma_ms: _Optional[float] = ..., samples: _Optional[int] = ...) -> None: ...

class DeploymentStats(_message.Message):
    __slots__ = ("deployment", "attempts", "failures", "recent_error_rate", "in_flight", "latency", "time_to_first_token", "input_tokens", "output_tokens", "cost_micro_usd", "unpriced_attempts", "breaker_state", "breaker_retry_at_unix_ms", "shadow_comparisons", "shadow_agreement", "cache_hits", "cache_misses", "idempotent_replays", "saved_cost_micro_usd")
    DEPLOYMENT_FIELD_NUMBER: _ClassVar[int]
    ATTEMPTS_FIELD_NUMBER: _ClassVar[int]
    FAILURES_FIELD_NUMBER: _ClassVar[int]
    RECENT_ERROR_RATE_FIELD_NUMBER: _ClassVar[int]
    IN_FLIGHT_FIELD_NUMBER: _ClassVar[int]
    LATENCY_FIELD_NUMBER: _ClassVar[int]
    TIME_TO_FIRST_TOKEN_FIELD_NUMBER: _ClassVar[int]
    INPUT_TOKENS_FIELD_NUMBER: _ClassVar[int]
    OUTPUT_TOKENS_FIELD_NUMBER: _ClassVar[int]
    COST_MICRO_USD_FIELD_NUMBER: _ClassVar[int]
    UNPRICED_ATTEMPTS_FIELD_NUMBER: _ClassVar[int]
    BREAKER_STATE_FIELD_NUMBER: _ClassVar[int]
    BREAKER_RETRY_AT_UNIX_MS_FIELD_NUMBER: _ClassVar[int]
    SHADOW_COMPARISONS_FIELD_NUMBER: _ClassVar[int]
    SHADOW_AGREEMENT_FIELD_NUMBER: _ClassVar[int]
    CACHE_HITS_FIELD_NUMBER: _ClassVar[int]
    CACHE_MISSES_FIELD_NUMBER: _ClassVar[int]
    IDEMPOTENT_REPLAYS_FIELD_NUMBER: _ClassVar[int]
    SAVED_COST_MICRO_USD_FIELD_NUMBER: _ClassVar[int]
    deployment: str
    attempts: int
    failures: int
    recent_error_rate: float
    in_flight: int
    latency: LatencySummary
    time_to_first_token: LatencySummary
    input_tokens: int
    output_tokens: int
    cost_micro_usd: int
    unpriced_attempts: int
    breaker_state: BreakerState
    breaker_retry_at_unix_ms: int
    shadow_comparisons: int
    shadow_agreement: float
    cache_hits: int
    cache_misses: int
    idempotent_replays: int
    saved_cost_micro_usd: int
    def __init__(self, deployment: _Optional[str] = ..., attempts: _Optional[int] = ..., failures: _Optional[int] = ..., recent_error_rate: _Optional[float] = ..., in_flight: _Optional[int] = ..., latency: _Optional[_Union[LatencySummary, _Mapping]] = ..., time_to_first_token: _Optional[_Union[LatencySummary, _Mapping]] = ..., input_tokens: _Optional[int] = ..., output_tokens: _Optional[int] = ..., cost_micro_usd: _Optional[int] = ..., unpriced_attempts: _Optional[int] = ..., breaker_state: _Optional[_Union[BreakerState, str]] = ..., breaker_retry_at_unix_ms: _Optional[int] = ..., shadow_comparisons: _Optional[int] = ..., shadow_agreement: _Optional[float] = ..., cache_hits: _Optional[int] = ..., cache_misses: _Optional[int] = ..., idempotent_replays: _Optional[int] = ..., saved_cost_micro_usd: _Optional[int] = ...) -> None: ...
