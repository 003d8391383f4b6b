/**
 * What both gRPC fast paths (unary and server-streaming) do before their method-specific work, in one
 * place so they accept and decline exactly the same calls: the header checks (content type, identity
 * `grpc-encoding`, a `grpc-timeout` connect accepts, a single `grpc-accept-encoding`), then the call's
 * context with `grpc-status: 0` as the default trailer and the response compression negotiated (and
 * announced in `grpc-encoding`) before the implementation runs, as connect does.
 */
import type { DescMethodServerStreaming, DescMethodUnary } from "@bufbuild/protobuf";
import type { ContextValues } from "@connectrpc/connect";
import { compressionNegotiate, type Compression } from "@connectrpc/connect/protocol";
import {
  contentTypeProto,
  grpcStatusOk,
  headerAcceptEncoding,
  headerEncoding,
  headerGrpcStatus,
  parseTimeout,
} from "@connectrpc/connect/protocol-grpc";
import type { ConnectUnaryFastPathOptions } from "./connect-unary-fast-path.js";
import { FastPathContext, type RunningCalls } from "./fast-path-context.js";
import { readTimeoutHeader } from "./fast-path-headers.js";
import type { NodeRequest, NodeResponse } from "./node-handler.js";

export interface GrpcFastPathCall {
  context: FastPathContext;
  /** The negotiated response compression, or null for none. */
  compression: Compression | null;
}

/** Opens the call, or returns undefined (without touching request or response) when it is not a plain gRPC call. */
export function openGrpcFastPathCall(
  method: DescMethodUnary | DescMethodServerStreaming,
  request: NodeRequest,
  response: NodeResponse,
  contextValues: ContextValues,
  options: ConnectUnaryFastPathOptions,
  runningCalls: RunningCalls,
): GrpcFastPathCall | undefined {
  const headers = request.headers;
  const contentType = headers["content-type"];
  if (contentType !== "application/grpc" && contentType !== contentTypeProto) return undefined;
  const encoding = headers["grpc-encoding"];
  if (encoding !== undefined && encoding !== "identity") return undefined;
  const timeout = readTimeoutHeader(headers["grpc-timeout"], parseTimeout);
  if (timeout === undefined) return undefined;
  const accepted = headers["grpc-accept-encoding"];
  if (accepted !== undefined && typeof accepted !== "string") return undefined;
  const context = new FastPathContext({
    method,
    request,
    response,
    protocolName: "grpc",
    responseContentType: contentTypeProto,
    binary: true,
    timeoutMs: timeout.timeoutMs,
    values: contextValues,
    shutdownSignal: options.shutdownSignal,
    runningCalls,
  });
  context.responseTrailer.set(headerGrpcStatus, grpcStatusOk);
  const compression = compressionNegotiate(options.acceptCompression, null, accepted ?? null, headerAcceptEncoding).response;
  if (compression !== null) context.responseHeader.set(headerEncoding, compression.name);
  return { context, compression };
}
