"""Calls Complete once over gRPC with TLS (grpcio) and prints "ok <text>" or the status code's name,
for test/server/tls.test.ts.

    .venv/bin/python test/server/tls-clients/tls_client.py --target 127.0.0.1:PORT --ca ca.pem \
        [--cert client.pem --key client-key.pem] [--model chat]
"""

import argparse

import grpc

from modelgate.v1 import completion_pb2, content_pb2
from modelgate.v1.gateway_service_pb2_grpc import GatewayServiceStub


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--target", required=True)
    parser.add_argument("--ca", required=True)
    parser.add_argument("--cert")
    parser.add_argument("--key")
    parser.add_argument("--model", default="chat")
    args = parser.parse_args()

    def read(path):
        with open(path, "rb") as file:
            return file.read()

    credentials = grpc.ssl_channel_credentials(
        root_certificates=read(args.ca),
        private_key=read(args.key) if args.key else None,
        certificate_chain=read(args.cert) if args.cert else None,
    )
    # The server certificate names localhost; the target is an IP address.
    options = [("grpc.ssl_target_name_override", "localhost")]
    with grpc.secure_channel(args.target, credentials, options) as channel:
        request = completion_pb2.CompleteRequest(
            model=args.model,
            messages=[content_pb2.Message(role=content_pb2.ROLE_USER, parts=[content_pb2.ContentPart(text="hello over tls")])],
        )
        try:
            response = GatewayServiceStub(channel).Complete(request, timeout=10)
            print("ok", response.text)
        except grpc.RpcError as error:
            print(error.code().name)


if __name__ == "__main__":
    main()
