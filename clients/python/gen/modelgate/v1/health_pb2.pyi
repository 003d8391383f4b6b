from modelgate.v1 import models_pb2 as _models_pb2
from modelgate.v1 import routing_pb2 as _routing_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class DeploymentHealth(_message.Message):
    __slots__ = ("stats", "attempts_per_second", "cost_per_request_micro_usd")
    STATS_FIELD_NUMBER: _ClassVar[int]
    ATTEMPTS_PER_SECOND_FIELD_NUMBER: _ClassVar[int]
    COST_PER_REQUEST_MICRO_USD_FIELD_NUMBER: _ClassVar[int]
    stats: _models_pb2.DeploymentStats
    attempts_per_second: float
    cost_per_request_micro_usd: float
    def __init__(self, stats: _Optional[_Union[_models_pb2.DeploymentStats, _Mapping]] = ..., attempts_per_second: _Optional[float] = ..., cost_per_request_micro_usd: _Optional[float] = ...) -> None: ...

class AliasSplit(_message.Message):
    __slots__ = ("alias", "strategy", "tiers", "shadow_deployment", "shadow_share")
    ALIAS_FIELD_NUMBER: _ClassVar[int]
    STRATEGY_FIELD_NUMBER: _ClassVar[int]
    TIERS_FIELD_NUMBER: _ClassVar[int]
    SHADOW_DEPLOYMENT_FIELD_NUMBER: _ClassVar[int]
    SHADOW_SHARE_FIELD_NUMBER: _ClassVar[int]
    alias: str
    strategy: _routing_pb2.RoutingStrategy
    tiers: _containers.RepeatedCompositeFieldContainer[TierSplit]
    shadow_deployment: str
    shadow_share: float
    def __init__(self, alias: _Optional[str] = ..., strategy: _Optional[_Union[_routing_pb2.RoutingStrategy, str]] = ..., tiers: _Optional[_Iterable[_Union[TierSplit, _Mapping]]] = ..., shadow_deployment: _Optional[str] = ..., shadow_share: _Optional[float] = ...) -> None: ...

class TierSplit(_message.Message):
    __slots__ = ("deployments",)
    DEPLOYMENTS_FIELD_NUMBER: _ClassVar[int]
    deployments: _containers.RepeatedCompositeFieldContainer[DeploymentWeight]
    def __init__(self, deployments: _Optional[_Iterable[_Union[DeploymentWeight, _Mapping]]] = ...) -> None: ...

class DeploymentWeight(_message.Message):
    __slots__ = ("deployment", "weight", "share")
    DEPLOYMENT_FIELD_NUMBER: _ClassVar[int]
    WEIGHT_FIELD_NUMBER: _ClassVar[int]
    SHARE_FIELD_NUMBER: _ClassVar[int]
    deployment: str
    weight: float
    share: float
    def __init__(self, deployment: _Optional[str] = ..., weight: _Optional[float] = ..., share: _Optional[float] = ...) -> None: ...

class RecentFallback(_message.Message):
    __slots__ = ("time_unix_ms", "requested_model", "from_deployment", "to_deployment", "reason")
    TIME_UNIX_MS_FIELD_NUMBER: _ClassVar[int]
    REQUESTED_MODEL_FIELD_NUMBER: _ClassVar[int]
    FROM_DEPLOYMENT_FIELD_NUMBER: _ClassVar[int]
    TO_DEPLOYMENT_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    time_unix_ms: int
    requested_model: str
    from_deployment: str
    to_deployment: str
    reason: str
    def __init__(self, time_unix_ms: _Optional[int] = ..., requested_model: _Optional[str] = ..., from_deployment: _Optional[str] = ..., to_deployment: _Optional[str] = ..., reason: _Optional[str] = ...) -> None: ...
