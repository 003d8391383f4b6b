"""Shows a stream surviving a dropped connection. The example talks to the gateway through a loopback TCP
relay it owns, cuts every relayed connection after the third event, and lets ``resumable_stream`` call
again with the same request id and the last position it saw: the answer arrives whole, each event once,
from the one model run.

The gateway must keep a run going while nobody reads it (``replay: { keepDetachedRunsMs: 10000 }``) and the
model must be slow enough to cut mid-stream (the built-in ``echo/echo-100ms``):

    .venv/bin/python clients/python/examples/resume.py --target 127.0.0.1:8080 --model echo/echo-100ms
"""

import argparse
import socket
import threading

from modelgate.v1 import completion_pb2, content_pb2, stream_pb2
from modelgate_client import connect, resumable_stream


class Relay:
    """Forwards loopback TCP connections to the gateway and can cut them all at once."""

    def __init__(self, target: str) -> None:
        host, port = target.rsplit(":", 1)
        self._target = (host, int(port))
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._lock = threading.Lock()
        self._sockets: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    @property
    def address(self) -> str:
        return "127.0.0.1:%d" % self._listener.getsockname()[1]

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            upstream = socket.create_connection(self._target)
            with self._lock:
                self._sockets += [client, upstream]
            threading.Thread(target=self._pipe, args=(client, upstream), daemon=True).start()
            threading.Thread(target=self._pipe, args=(upstream, client), daemon=True).start()

    @staticmethod
    def _pipe(source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        for end in (source, sink):
            try:
                end.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def cut_all(self) -> None:
        """Closes every relayed connection; new connections are relayed as before."""
        with self._lock:
            sockets, self._sockets = self._sockets, []
        for end in sockets:
            try:
                end.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            end.close()

    def close(self) -> None:
        self._listener.close()
        self.cut_all()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--target", default="127.0.0.1:8080")
    parser.add_argument("--model", default="echo/echo-100ms")
    parser.add_argument("--cut-after", type=int, default=3, help="cut the connection after this many events")
    args = parser.parse_args()

    relay = Relay(args.target)
    text = "one two three four five six seven eight"
    request = stream_pb2.StreamCompleteRequest(
        model=args.model,
        messages=[content_pb2.Message(role=content_pb2.ROLE_USER, parts=[content_pb2.ContentPart(text=text)])],
    )

    def on_resume(after: int, error) -> None:
        print(f"\n[connection dropped ({error.code().name}: {error.details()}); resuming after position {after}]")

    channel, stub = connect(relay.address)
    with channel:
        events = 0
        for event in resumable_stream(stub, request, timeout=30, on_resume=on_resume):
            events += 1
            kind = event.WhichOneof("event")
            if kind == "start":
                print(f"[{event.start.deployment}] ", end="", flush=True)
            elif kind == "text_delta":
                print(event.text_delta.text, end="", flush=True)
            elif kind == "finish":
                print(f" [{completion_pb2.FinishReason.Name(event.finish.finish_reason)}, {events} events]")
            if events == args.cut_after:
                relay.cut_all()  # the network fails under the call
    relay.close()


if __name__ == "__main__":
    main()
