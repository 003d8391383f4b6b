from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class CallerKeyPolicy(_message.Message):
    __slots__ = ("aliases", "requests_per_minute", "tokens_per_minute", "daily_budget_usd", "monthly_budget_usd", "max_concurrent_streams", "team", "service", "environment", "redact_pii")
    ALIASES_FIELD_NUMBER: _ClassVar[int]
    REQUESTS_PER_MINUTE_FIELD_NUMBER: _ClassVar[int]
    TOKENS_PER_MINUTE_FIELD_NUMBER: _ClassVar[int]
    DAILY_BUDGET_USD_FIELD_NUMBER: _ClassVar[int]
    MONTHLY_BUDGET_USD_FIELD_NUMBER: _ClassVar[int]
    MAX_CONCURRENT_STREAMS_FIELD_NUMBER: _ClassVar[int]
    TEAM_FIELD_NUMBER: _ClassVar[int]
    SERVICE_FIELD_NUMBER: _ClassVar[int]
    ENVIRONMENT_FIELD_NUMBER: _ClassVar[int]
    REDACT_PII_FIELD_NUMBER: _ClassVar[int]
    aliases: _containers.RepeatedScalarFieldContainer[str]
    requests_per_minute: int
    tokens_per_minute: int
    daily_budget_usd: float
    monthly_budget_usd: float
    max_concurrent_streams: int
    team: str
    service: str
    environment: str
    redact_pii: bool
    def __init__(self, aliases: _Optional[_Iterable[str]] = ..., requests_per_minute: _Optional[int] = ..., tokens_per_minute: _Optional[int] = ..., daily_budget_usd: _Optional[float] = ..., monthly_budget_usd: _Optional[float] = ..., max_concurrent_streams: _Optional[int] = ..., team: _Optional[str] = ..., service: _Optional[str] = ..., environment: _Optional[str] = ..., redact_pii: _Optional[bool] = ...) -> None: ...

class CallerKey(_message.Message):
    __slots__ = ("id", "name", "policy", "create_time", "revoke_time", "from_config")
    ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    POLICY_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    REVOKE_TIME_FIELD_NUMBER: _ClassVar[int]
    FROM_CONFIG_FIELD_NUMBER: _ClassVar[int]
    id: str
    name: str
    policy: CallerKeyPolicy
    create_time: str
    revoke_time: str
    from_config: bool
    def __init__(self, id: _Optional[str] = ..., name: _Optional[str] = ..., policy: _Optional[_Union[CallerKeyPolicy, _Mapping]] = ..., create_time: _Optional[str] = ..., revoke_time: _Optional[str] = ..., from_config: _Optional[bool] = ...) -> None: ...

class CreateKeyRequest(_message.Message):
    __slots__ = ("name", "policy")
    NAME_FIELD_NUMBER: _ClassVar[int]
    POLICY_FIELD_NUMBER: _ClassVar[int]
    name: str
    policy: CallerKeyPolicy
    def __init__(self, name: _Optional[str] = ..., policy: _Optional[_Union[CallerKeyPolicy, _Mapping]] = ...) -> None: ...

class CreateKeyResponse(_message.Message):
    __slots__ = ("key", "caller_key")
    KEY_FIELD_NUMBER: _ClassVar[int]
    CALLER_KEY_FIELD_NUMBER: _ClassVar[int]
    key: str
    caller_key: CallerKey
    def __init__(self, key: _Optional[str] = ..., caller_key: _Optional[_Union[CallerKey, _Mapping]] = ...) -> None: ...

class ListKeysRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class ListKeysResponse(_message.Message):
    __slots__ = ("caller_keys",)
    CALLER_KEYS_FIELD_NUMBER: _ClassVar[int]
    caller_keys: _containers.RepeatedCompositeFieldContainer[CallerKey]
    def __init__(self, caller_keys: _Optional[_Iterable[_Union[CallerKey, _Mapping]]] = ...) -> None: ...

class RevokeKeyRequest(_message.Message):
    __slots__ = ("id",)
    ID_FIELD_NUMBER: _ClassVar[int]
    id: str
    def __init__(self, id: _Optional[str] = ...) -> None: ...

class RevokeKeyResponse(_message.Message):
    __slots__ = ("caller_key",)
    CALLER_KEY_FIELD_NUMBER: _ClassVar[int]
    caller_key: CallerKey
    def __init__(self, caller_key: _Optional[_Union[CallerKey, _Mapping]] = ...) -> None: ...
