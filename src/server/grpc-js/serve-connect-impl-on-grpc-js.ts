/**
 * Serves any connect-es `ServiceImpl` on a `@grpc/grpc-js` `Server`: the same implementation object the
 * connect router serves on the main port, now behind grpc-js's much cheaper gRPC path. Messages are
 * (de)serialised with protobuf-es's `fromBinary` and the compiled binary writer (codec/, the same bytes
 * as `toBinary`; no proto-loader, no .proto files); every
 * call gets a connect `HandlerContext` (see grpc-js-context.ts); a thrown `ConnectError` becomes the grpc-js
 * status with the same code, message and details; stream writes wait for 'drain'.
 */
import { create, fromBinary, isMessage, type DescMessage, type DescService, type MessageShape } from "@bufbuild/protobuf";
import { ConnectError, createServiceImplSpec, type MethodImplSpec, type ServiceImpl } from "@connectrpc/connect";
import type {
  handleBidiStreamingCall,
  handleClientStreamingCall,
  handleServerStreamingCall,
  handleUnaryCall,
  Metadata,
  Server,
  ServerDuplexStream,
  ServerWritableStream,
  UntypedServiceImplementation,
  MethodDefinition,
  sendUnaryData,
  ServiceDefinition,
} from "@grpc/grpc-js";
import type { Logger } from "pino";
import { compiledToBinary } from "../codec/compiled-serialization.js";
import { openGrpcJsContext, type GrpcJsCallContext, type GrpcJsServerCall } from "./grpc-js-context.js";
import { requestMessages } from "./grpc-js-request-stream.js";
import { asConnectError, metadataFromHeaders, toGrpcJsStatus } from "./grpc-js-status.js";

type Message = MessageShape<DescMessage>;

export interface ServeOnGrpcJsOptions {
  /** Aborting it aborts every running call's context signal. */
  shutdownSignal?: AbortSignal;
  /**
   * Called with the method path when a call starts, and when grpc-js is done with it: its status went to
   * HTTP/2 (grpc-js then emits "cancelled"), or the client cancelled, or its deadline passed.
   */
  onCallStart?: (path: string) => void;
  onCallEnd?: (path: string) => void;
  /** Receives errors that are not `ConnectError`s (they reach the client as a bare INTERNAL). */
  logger?: Pick<Logger, "error">;
}

/** Registers every method of `service`, implemented by `impl`, on `server`. Unimplemented methods answer UNIMPLEMENTED. */
export function serveConnectImplOnGrpcJs<S extends DescService>(
  server: Server,
  service: S,
  impl: Partial<ServiceImpl<S>>,
  options: ServeOnGrpcJsOptions = {},
): void {
  const spec = createServiceImplSpec(service, impl);
  const definition: Record<string, MethodDefinition<Message, Message>> = {};
  const handlers: UntypedServiceImplementation = {};
  for (const method of Object.values(spec.methods)) {
    const { input, output, name, methodKind } = method.method;
    definition[name] = {
      path: `/${service.typeName}/${name}`,
      originalName: method.method.localName,
      requestStream: methodKind === "client_streaming" || methodKind === "bidi_streaming",
      responseStream: methodKind === "server_streaming" || methodKind === "bidi_streaming",
      requestSerialize: serializer(input),
      requestDeserialize: (bytes: Buffer) => fromBinary(input, bytes),
      responseSerialize: serializer(output),
      responseDeserialize: (bytes: Buffer) => fromBinary(output, bytes),
    } satisfies MethodDefinition<Message, Message>;
    handlers[name] = handlerFor(method, `/${service.typeName}/${name}`, options);
  }
  server.addService(definition satisfies ServiceDefinition, handlers);
}

function serializer(schema: DescMessage): (message: Message) => Buffer {
  const encode = compiledToBinary(schema);
  return (message) => {
    const bytes = encode(message);
    return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  };
}

/** The implementation returns message init shapes; grpc-js needs complete messages to serialise. */
function toMessage(schema: DescMessage, value: unknown): Message {
  return isMessage(value, schema) ? value : create(schema, value as Message);
}

function trailerMetadata(call: GrpcJsCallContext): Metadata | undefined {
  const trailer = call.context.responseTrailer;
  let empty = true;
  trailer.forEach(() => {
    empty = false;
  });
  return empty ? undefined : metadataFromHeaders(trailer);
}

function handlerFor(method: MethodImplSpec, path: string, options: ServeOnGrpcJsOptions) {
  const fail = (error: unknown, call: GrpcJsCallContext) => {
    if (!(error instanceof ConnectError) && options.logger) {
      options.logger.error({ err: error, rpc: path }, "grpc-js call failed with a non-ConnectError");
    }
    call.sendHeader();
    return toGrpcJsStatus(asConnectError(error), call.context.responseTrailer);
  };
  const started = (grpcCall: NodeJS.EventEmitter): void => {
    options.onCallStart?.(path);
    grpcCall.once("cancelled", () => options.onCallEnd?.(path));
  };
  const ended = (call: GrpcJsCallContext): void => call.finish();
  const output = method.method.output;
  /** Unary and client-streaming calls answer once: the impl's result, or its error as a status. */
  const answerOnce = async (
    grpcCall: GrpcJsServerCall,
    callback: sendUnaryData<Message>,
    produce: (call: GrpcJsCallContext) => unknown,
  ): Promise<void> => {
    started(grpcCall);
    const call = openGrpcJsContext(grpcCall, method.method, options);
    try {
      const result = toMessage(output, await produce(call));
      call.sendHeader();
      if (!call.isCancelled()) callback(null, result, trailerMetadata(call));
    } catch (error) {
      if (!call.isCancelled()) callback(fail(error, call));
    } finally {
      ended(call);
    }
  };

  switch (method.kind) {
    case "unary": {
      const handle: handleUnaryCall<Message, Message> = (grpcCall, callback) =>
        answerOnce(grpcCall, callback, (call) => method.impl(grpcCall.request, call.context));
      return handle;
    }
    case "client_streaming": {
      const handle: handleClientStreamingCall<Message, Message> = (grpcCall, callback) =>
        answerOnce(grpcCall, callback, (call) => method.impl(requestMessages<Message>(grpcCall, call.context.signal), call.context));
      return handle;
    }
    case "server_streaming": {
      const handle: handleServerStreamingCall<Message, Message> = (grpcCall) => {
        started(grpcCall);
        const call = openGrpcJsContext(grpcCall, method.method, options);
        void writeResponses(grpcCall, call, () => method.impl(grpcCall.request, call.context), output, fail).finally(() => ended(call));
      };
      return handle;
    }
    case "bidi_streaming": {
      const handle: handleBidiStreamingCall<Message, Message> = (grpcCall) => {
        started(grpcCall);
        const call = openGrpcJsContext(grpcCall, method.method, options);
        const input = requestMessages<Message>(grpcCall, call.context.signal);
        void writeResponses(grpcCall, call, () => method.impl(input, call.context), output, fail).finally(() => ended(call));
      };
      return handle;
    }
  }
}

/**
 * Writes what the implementation yields, waiting for 'drain' whenever grpc-js's buffer is full (a slow
 * reader then slows the generator instead of growing memory), then ends with the trailers or the error.
 */
async function writeResponses(
  grpcCall: ServerWritableStream<Message, Message> | ServerDuplexStream<Message, Message>,
  call: GrpcJsCallContext,
  run: () => AsyncIterable<unknown>,
  output: DescMessage,
  fail: (error: unknown, call: GrpcJsCallContext) => ReturnType<typeof toGrpcJsStatus>,
): Promise<void> {
  try {
    // Scheduled before the loop's first `next()`, it still fires after it (a 5 ms timer).
    call.sendHeaderOnceWaiting();
    for await (const value of run()) {
      if (call.isCancelled()) return;
      call.sendHeader();
      if (!grpcCall.write(toMessage(output, value))) await drained(grpcCall, call.context.signal);
    }
    if (call.isCancelled()) return;
    call.sendHeader();
    grpcCall.end(trailerMetadata(call));
  } catch (error) {
    if (call.isCancelled()) return;
    // grpc-js's documented way to end a stream with a status: an 'error' event carrying code, details, metadata.
    grpcCall.emit("error", fail(error, call));
  }
}

/** Resolves on the stream's next 'drain'; rejects with the signal's reason (cancel, deadline, shutdown) if that comes first. */
function drained(stream: NodeJS.EventEmitter, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    const onDrain = (): void => {
      signal.removeEventListener("abort", onAbort);
      resolve();
    };
    const onAbort = (): void => {
      stream.removeListener("drain", onDrain);
      reject(signal.reason);
    };
    stream.once("drain", onDrain);
    signal.addEventListener("abort", onAbort, { once: true });
  });
}
