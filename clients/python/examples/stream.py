"""Calls a modelgate gateway (npm start: 127.0.0.1:8080, model "echo") with grpcio: one unary Complete,
one streamed StreamComplete, and a failing call whose typed error details (ErrorInfo reason, RetryInfo
delay) are printed.

    .venv/bin/python clients/python/examples/stream.py --target 127.0.0.1:8080 --model echo
"""

import argparse

import grpc

from modelgate.v1 import completion_pb2, content_pb2, stream_pb2
from modelgate_client import connect, error_details


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--target", default="127.0.0.1:8080")
    parser.add_argument("--model", default="echo")
    args = parser.parse_args()

    messages = [content_pb2.Message(role=content_pb2.ROLE_USER, parts=[content_pb2.ContentPart(text="Hello, gateway!")])]
    channel, stub = connect(args.target)
    with channel:
        # Unary.
        response = stub.Complete(completion_pb2.CompleteRequest(model=args.model, messages=messages), timeout=30)
        print(f"unary: {response.text!r} from {response.route.deployment} ({response.usage.output_tokens} output tokens)")

        # Streaming.
        print("stream: ", end="")
        for event in stub.StreamComplete(stream_pb2.StreamCompleteRequest(model=args.model, messages=messages), timeout=30):
            kind = event.WhichOneof("event")
            if kind == "start":
                print(f"[{event.start.deployment}] ", end="")
            elif kind == "text_delta":
                print(event.text_delta.text, end="", flush=True)
            elif kind == "finish":
                print(f" [{completion_pb2.FinishReason.Name(event.finish.finish_reason)}]")

        # A failing call: an unknown model. Every error carries ErrorInfo; RetryInfo when a wait is known.
        try:
            stub.Complete(completion_pb2.CompleteRequest(model="no-such-model", messages=messages), timeout=30)
        except grpc.RpcError as error:
            details = error_details(error)
            retry = "" if details.retry_delay_seconds is None else f" retry-after={details.retry_delay_seconds}s"
            print(f"error: code={details.code.name} reason={details.reason}{retry}")


if __name__ == "__main__":
    main()
