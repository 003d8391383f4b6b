"""A protoc plugin that runs grpcio-tools' built-in gRPC Python generator.

grpcio-tools compiles the `grpc_python` generator into its bundled protoc instead of shipping a
`protoc-gen-grpc_python` executable, and buf can only call protoc built-ins it knows (python, pyi, ...).
This plugin bridges the two: it takes buf's CodeGeneratorRequest, hands the descriptors to the bundled
protoc with `--descriptor_set_in`, and returns the files it wrote. buf.gen.yaml runs it with the repo's
.venv Python, so the generator version is the pinned grpcio-tools.
"""

import os
import sys
import tempfile

from google.protobuf import descriptor_pb2
from google.protobuf.compiler import plugin_pb2
from grpc_tools import protoc


def main() -> int:
    request = plugin_pb2.CodeGeneratorRequest.FromString(sys.stdin.buffer.read())
    response = plugin_pb2.CodeGeneratorResponse(
        supported_features=plugin_pb2.CodeGeneratorResponse.FEATURE_PROTO3_OPTIONAL
    )
    with tempfile.TemporaryDirectory() as workdir:
        descriptor_set = descriptor_pb2.FileDescriptorSet(file=request.proto_file)
        descriptor_path = os.path.join(workdir, "descriptors.binpb")
        with open(descriptor_path, "wb") as handle:
            handle.write(descriptor_set.SerializeToString())
        out_dir = os.path.join(workdir, "out")
        os.mkdir(out_dir)
        option = f"{request.parameter}:" if request.parameter else ""
        args = ["protoc", f"--descriptor_set_in={descriptor_path}", f"--grpc_python_out={option}{out_dir}"]
        status = protoc.main(args + list(request.file_to_generate))
        if status != 0:
            response.error = f"grpc_tools.protoc exited with {status}"
        else:
            for root, _, files in os.walk(out_dir):
                for name in sorted(files):
                    path = os.path.join(root, name)
                    with open(path, encoding="utf-8") as handle:
                        response.file.add(name=os.path.relpath(path, out_dir), content=handle.read())
    sys.stdout.buffer.write(response.SerializeToString())
    return 0


if __name__ == "__main__":
    sys.exit(main())
