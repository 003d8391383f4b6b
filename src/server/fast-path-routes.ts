/**
 * What a fast path (Connect unary, gRPC unary, Connect or gRPC server-streaming) keeps about the
 * methods it may serve: the methods of its kind registered on connect's router without options of their
 * own, each with the implementation object connect got and connect's serialisation for it (with the
 * compiled codecs in front, codec/compiled-serialization.ts), plus the
 * calls running now, so one shutdown listener aborts them all instead of one listener added and removed
 * per call.
 */
import type { DescMessage } from "@bufbuild/protobuf";
import { createMethodImplSpec, createServiceImplSpec, type ConnectRouter, type MethodImplSpec } from "@connectrpc/connect";
import {
  createMethodUrl,
  validateReadWriteMaxBytes,
  type MethodSerializationLookup,
} from "@connectrpc/connect/protocol";
import { createCompiledSerializationLookup } from "./codec/compiled-serialization.js";
import type { RunningCalls } from "./fast-path-context.js";

/** The method kinds a fast path serves: those whose request is one message. */
export type FastPathKind = "unary" | "server_streaming";

export type MethodSpecOf<K extends FastPathKind> = Extract<MethodImplSpec, { kind: K }>;
export type UnaryMethodSpec = MethodSpecOf<"unary">;
export type ServerStreamingMethodSpec = MethodSpecOf<"server_streaming">;

export interface FastPathRoute<K extends FastPathKind> {
  readonly spec: MethodSpecOf<K>;
  readonly serialization: MethodSerializationLookup<DescMessage, DescMessage>;
}

export type UnaryRoute = FastPathRoute<"unary">;
export type ServerStreamingRoute = FastPathRoute<"server_streaming">;

export interface FastPathRoutes<K extends FastPathKind> {
  /** connect's read/write limits for the router's `readMaxBytes` (compressMinBytes among them). */
  readonly limits: ReturnType<typeof validateReadWriteMaxBytes>;
  readonly runningCalls: RunningCalls;
  /** The route for a request path such as `/modelgate.v1.GatewayService/Complete`. */
  get(path: string): FastPathRoute<K> | undefined;
  /** Returns `router` wrapped so that what is registered through it is learned here too. */
  learnFrom(router: ConnectRouter): ConnectRouter;
}

/** The routes of the methods of `kind`, learnt from the router as they are registered. */
export function createFastPathRoutes<K extends FastPathKind>(
  kind: K,
  options: { readMaxBytes: number; shutdownSignal: AbortSignal },
): FastPathRoutes<K> {
  const limits = validateReadWriteMaxBytes(options.readMaxBytes, undefined, undefined);
  const routes = new Map<string, FastPathRoute<K>>();
  const runningCalls: RunningCalls = new Set();
  const shutdownSignal = options.shutdownSignal;
  shutdownSignal.addEventListener("abort", () => {
    for (const call of runningCalls) call.abort(shutdownSignal.reason);
  });
  const isOfKind = (spec: MethodImplSpec): spec is MethodSpecOf<K> => spec.kind === kind;
  const learn = (spec: MethodImplSpec): void => {
    // Read before narrowing: TypeScript cannot see `method` on an Extract of a generic kind.
    const method = spec.method;
    if (!isOfKind(spec)) return;
    routes.set(createMethodUrl("/", method), {
      spec,
      serialization: createCompiledSerializationLookup(method, limits),
    });
  };
  return {
    limits,
    runningCalls,
    get: (path) => routes.get(path),
    learnFrom: (router) => createLearningRouter(router, learn),
  };
}

/**
 * Returns `router` wrapped so that every method registered through it without options of its own is
 * also passed to `learn`, with the same implementation object.
 */
function createLearningRouter(router: ConnectRouter, learn: (spec: MethodImplSpec) => void): ConnectRouter {
  const learning: ConnectRouter = {
    get handlers() {
      return router.handlers;
    },
    service(service, implementation, serviceOptions) {
      router.service(service, implementation, serviceOptions);
      if (serviceOptions === undefined) {
        for (const spec of Object.values(createServiceImplSpec(service, implementation).methods)) learn(spec);
      }
      return this;
    },
    rpc(method, implementation, rpcOptions) {
      router.rpc(method, implementation, rpcOptions);
      if (rpcOptions === undefined) learn(createMethodImplSpec(method, implementation));
      return this;
    },
  };
  return learning;
}
