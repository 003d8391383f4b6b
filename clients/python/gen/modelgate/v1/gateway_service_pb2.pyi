from modelgate.v1 import completion_pb2 as _completion_pb2
from modelgate.v1 import health_pb2 as _health_pb2
from modelgate.v1 import models_pb2 as _models_pb2
from modelgate.v1 import stream_pb2 as _stream_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class SharedState(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    SHARED_STATE_UNSPECIFIED: _ClassVar[SharedState]
    SHARED_STATE_MEMORY: _ClassVar[SharedState]
    SHARED_STATE_REDIS: _ClassVar[SharedState]
    SHARED_STATE_LOCAL_FALLBACK: _ClassVar[SharedState]
SHARED_STATE_UNSPECIFIED: SharedState
SHARED_STATE_MEMORY: SharedState
SHARED_STATE_REDIS: SharedState
SHARED_STATE_LOCAL_FALLBACK: SharedState

class ListModelsRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class ListModelsResponse(_message.Message):
    __slots__ = ("aliases", "deployments")
    ALIASES_FIELD_NUMBER: _ClassVar[int]
    DEPLOYMENTS_FIELD_NUMBER: _ClassVar[int]
    aliases: _containers.RepeatedCompositeFieldContainer[_models_pb2.Alias]
    deployments: _containers.RepeatedCompositeFieldContainer[_models_pb2.Deployment]
    def __init__(self, aliases: _Optional[_Iterable[_Union[_models_pb2.Alias, _Mapping]]] = ..., deployments: _Optional[_Iterable[_Union[_models_pb2.Deployment, _Mapping]]] = ...) -> None: ...

class GetDeploymentStatsRequest(_message.Message):
    __slots__ = ("deployments",)
    DEPLOYMENTS_FIELD_NUMBER: _ClassVar[int]
    deployments: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, deployments: _Optional[_Iterable[str]] = ...) -> None: ...

class GetDeploymentStatsResponse(_message.Message):
    __slots__ = ("stats", "shared_state")
    STATS_FIELD_NUMBER: _ClassVar[int]
    SHARED_STATE_FIELD_NUMBER: _ClassVar[int]
    stats: _containers.RepeatedCompositeFieldContainer[_models_pb2.DeploymentStats]
    shared_state: SharedState
    def __init__(self, stats: _Optional[_Iterable[_Union[_models_pb2.DeploymentStats, _Mapping]]] = ..., shared_state: _Optional[_Union[SharedState, str]] = ...) -> None: ...

class WatchHealthRequest(_message.Message):
    __slots__ = ("deployments",)
    DEPLOYMENTS_FIELD_NUMBER: _ClassVar[int]
    deployments: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, deployments: _Optional[_Iterable[str]] = ...) -> None: ...

class WatchHealthResponse(_message.Message):
    __slots__ = ("time_unix_ms", "shared_state", "deployments", "aliases", "recent_fallbacks")
    TIME_UNIX_MS_FIELD_NUMBER: _ClassVar[int]
    SHARED_STATE_FIELD_NUMBER: _ClassVar[int]
    DEPLOYMENTS_FIELD_NUMBER: _ClassVar[int]
    ALIASES_FIELD_NUMBER: _ClassVar[int]
    RECENT_FALLBACKS_FIELD_NUMBER: _ClassVar[int]
    time_unix_ms: int
    shared_state: SharedState
    deployments: _containers.RepeatedCompositeFieldContainer[_health_pb2.DeploymentHealth]
    aliases: _containers.RepeatedCompositeFieldContainer[_health_pb2.AliasSplit]
    recent_fallbacks: _containers.RepeatedCompositeFieldContainer[_health_pb2.RecentFallback]
    def __init__(self, time_unix_ms: _Optional[int] = ..., shared_state: _Optional[_Union[SharedState, str]] = ..., deployments: _Optional[_Iterable[_Union[_health_pb2.DeploymentHealth, _Mapping]]] = ..., aliases: _Optional[_Iterable[_Union[_health_pb2.AliasSplit, _Mapping]]] = ..., recent_fallbacks: _Optional[_Iterable[_Union[_health_pb2.RecentFallback, _Mapping]]] = ...) -> None: ...
