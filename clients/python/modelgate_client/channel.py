"""Channel helper."""

import grpc

from modelgate.v1.gateway_service_pb2_grpc import GatewayServiceStub


def connect(target: str = "127.0.0.1:8080") -> tuple[grpc.Channel, GatewayServiceStub]:
    """Opens an insecure channel to a gateway ("host:port") and returns it with a GatewayService stub.

    Close the channel when done (``channel.close()``, or use it as a context manager).
    """
    channel = grpc.insecure_channel(target)
    return channel, GatewayServiceStub(channel)
