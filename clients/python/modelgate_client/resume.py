"""Streams that survive a dropped connection.

``resumable_stream`` calls StreamComplete and, when a call breaks before the gateway's status arrived,
calls again with the same request id and ``resume_after_position`` = the last position received, yielding
every event exactly once. The gateway keeps a stream's run going after its reader left only when
``replay.keepDetachedRunsMs`` is above 0 (docs/replay.md); with the default 0 the resume gets the run's
CANCELLED status instead.
"""

import secrets
import time
from typing import Callable, Iterator, Optional

import grpc

from modelgate.v1 import stream_pb2
from modelgate.v1.gateway_service_pb2_grpc import GatewayServiceStub
from modelgate_client.errors import error_details


def dropped(error: grpc.RpcError) -> bool:
    """Whether ``error`` broke the call before the gateway answered: UNAVAILABLE without the gateway's
    ErrorInfo (every status the gateway sends carries one, and a resume would only repeat it)."""
    details = error_details(error)
    if details.code != grpc.StatusCode.UNAVAILABLE:
        return False
    return details.error_info is None or details.error_info.domain != "modelgate"


def resumable_stream(
    stub: GatewayServiceStub,
    request: stream_pb2.StreamCompleteRequest,
    *,
    timeout: Optional[float] = None,
    max_resumes: int = 5,
    backoff_seconds: float = 0.1,
    on_resume: Optional[Callable[[int, grpc.RpcError], None]] = None,
) -> Iterator[stream_pb2.StreamCompleteResponse]:
    """Yields the stream's events, each exactly once, resuming after dropped connections.

    Ends after the finish event, or raises the ``grpc.RpcError`` that ended the stream (the gateway's, or
    the connection's once ``max_resumes`` resumes were used, waiting ``backoff_seconds`` and twice as long
    each time). ``timeout`` bounds the whole stream, resumes included. A request without a request id gets
    a random one (only a caller's id can be resumed); ``request`` itself is not modified.
    """
    call_request = stream_pb2.StreamCompleteRequest()
    call_request.CopyFrom(request)
    if not call_request.request_id:
        call_request.request_id = "resume-" + secrets.token_hex(16)
    deadline = None if timeout is None else time.monotonic() + timeout
    last = 0  # the position of the last event yielded; 0 before the first
    resumes = 0
    while True:
        if resumes > 0:
            call_request.resume_after_position = last
        remaining = None if deadline is None else max(deadline - time.monotonic(), 0.0)
        call = stub.StreamComplete(call_request, timeout=remaining)
        try:
            for response in call:
                if response.position <= last:
                    continue  # a gateway never repeats one, but exactly once is this helper's promise
                last = response.position
                yield response
            return
        except grpc.RpcError as error:
            if resumes == max_resumes or not dropped(error):
                raise
            if on_resume is not None:
                on_resume(last, error)
            time.sleep(backoff_seconds * (2**resumes))
            resumes += 1
        finally:
            call.cancel()  # no-op after the end; stops the call if the caller stopped reading
