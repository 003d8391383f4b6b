"""Python client for the modelgate LLM gateway.

The generated messages and stubs live in ``modelgate.v1`` (generated from proto/modelgate/v1 with the
pinned grpcio-tools; see clients/python/README.md). This package adds what every caller needs on top:
a channel helper, typed access to the error details the gateway attaches to every failed call, and
streams that resume after a dropped connection.
"""

from modelgate.v1 import (
    completion_pb2,
    content_pb2,
    errors_pb2,
    gateway_service_pb2,
    gateway_service_pb2_grpc,
    models_pb2,
    routing_pb2,
    stream_pb2,
)
from modelgate.v1.gateway_service_pb2_grpc import GatewayServiceStub

from modelgate_client.errors import ErrorDetails, error_details
from modelgate_client.channel import connect
from modelgate_client.resume import dropped, resumable_stream

__all__ = [
    "ErrorDetails",
    "GatewayServiceStub",
    "completion_pb2",
    "connect",
    "content_pb2",
    "dropped",
    "error_details",
    "errors_pb2",
    "gateway_service_pb2",
    "gateway_service_pb2_grpc",
    "models_pb2",
    "resumable_stream",
    "routing_pb2",
    "stream_pb2",
]
