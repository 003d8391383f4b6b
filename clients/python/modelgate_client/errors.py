"""Typed access to the error details of a failed call.

Every error the gateway returns carries ``google.rpc.ErrorInfo`` (domain "modelgate", a stable reason such
as "PROVIDER_RATE_LIMITED"), plus ``google.rpc.RetryInfo`` when a wait is known, ``google.rpc.BadRequest``
for invalid fields, and ``modelgate.v1.FailureDetails`` (usage, cost and attempts) for failed completions.
They travel in the ``grpc-status-details-bin`` trailer as a ``google.rpc.Status``.
"""

from dataclasses import dataclass
from typing import Optional

import grpc
from google.rpc import error_details_pb2, status_pb2

from modelgate.v1 import errors_pb2

STATUS_DETAILS_KEY = "grpc-status-details-bin"


@dataclass(frozen=True)
class ErrorDetails:
    """The typed details of one failed call; each is None when the gateway did not attach it."""

    code: grpc.StatusCode
    message: str
    error_info: Optional[error_details_pb2.ErrorInfo] = None
    retry_info: Optional[error_details_pb2.RetryInfo] = None
    bad_request: Optional[error_details_pb2.BadRequest] = None
    failure: Optional[errors_pb2.FailureDetails] = None

    @property
    def reason(self) -> str:
        """The ErrorInfo reason, e.g. "PROVIDER_RATE_LIMITED"; "" when absent."""
        return self.error_info.reason if self.error_info is not None else ""

    @property
    def retry_delay_seconds(self) -> Optional[float]:
        """How long to wait before retrying, from RetryInfo; None when the gateway gave no delay."""
        if self.retry_info is None or not self.retry_info.HasField("retry_delay"):
            return None
        delay = self.retry_info.retry_delay
        return delay.seconds + delay.nanos / 1e9


def error_details(error: grpc.RpcError) -> ErrorDetails:
    """Decodes the details of an ``grpc.RpcError`` raised by a stub call."""
    code = error.code() if hasattr(error, "code") else grpc.StatusCode.UNKNOWN
    message = error.details() if hasattr(error, "details") else str(error)
    found: dict = {}
    trailers = error.trailing_metadata() if hasattr(error, "trailing_metadata") else None
    for key, value in trailers or ():
        if key != STATUS_DETAILS_KEY:
            continue
        status = status_pb2.Status.FromString(value)
        for any_detail in status.details:
            for name, message_type in _DETAIL_TYPES:
                if name not in found and any_detail.Is(message_type.DESCRIPTOR):
                    detail = message_type()
                    any_detail.Unpack(detail)
                    found[name] = detail
    return ErrorDetails(code=code, message=message or "", **found)


_DETAIL_TYPES = (
    ("error_info", error_details_pb2.ErrorInfo),
    ("retry_info", error_details_pb2.RetryInfo),
    ("bad_request", error_details_pb2.BadRequest),
    ("failure", errors_pb2.FailureDetails),
)
