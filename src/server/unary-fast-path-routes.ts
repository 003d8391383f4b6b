/**
 * What both unary fast paths (Connect and gRPC) keep about the methods they may serve: the unary
 * methods registered on connect's router without options of their own, each with the implementation
 * object connect got and connect's serialisation for it, plus the calls running now, so one shutdown
 * listener aborts them all instead of one listener added and removed per call.
 */
import type { DescMessage } from "@bufbuild/protobuf";
import { createMethodImplSpec, createServiceImplSpec, type ConnectRouter, type MethodImplSpec } from "@connectrpc/connect";
import {
  createMethodSerializationLookup,
  createMethodUrl,
  validateReadWriteMaxBytes,
  type MethodSerializationLookup,
} from "@connectrpc/connect/protocol";
import type { RunningCalls } from "./connect-unary-context.js";

export type UnaryMethodSpec = Extract<MethodImplSpec, { kind: "unary" }>;

export interface UnaryRoute {
  readonly spec: UnaryMethodSpec;
  readonly serialization: MethodSerializationLookup<DescMessage, DescMessage>;
}

export interface UnaryRoutes {
  /** connect's read/write limits for the router's `readMaxBytes` (compressMinBytes among them). */
  readonly limits: ReturnType<typeof validateReadWriteMaxBytes>;
  readonly runningCalls: RunningCalls;
  /** The route for a request path such as `/modelgate.v1.GatewayService/Complete`. */
  get(path: string): UnaryRoute | undefined;
  /** Returns `router` wrapped so that what is registered through it is learned here too. */
  learnFrom(router: ConnectRouter): ConnectRouter;
}

export function createUnaryRoutes(options: { readMaxBytes: number; shutdownSignal: AbortSignal }): UnaryRoutes {
  const limits = validateReadWriteMaxBytes(options.readMaxBytes, undefined, undefined);
  const routes = new Map<string, UnaryRoute>();
  const runningCalls: RunningCalls = new Set();
  const shutdownSignal = options.shutdownSignal;
  shutdownSignal.addEventListener("abort", () => {
    for (const call of runningCalls) call.abort(shutdownSignal.reason);
  });
  const learn = (spec: MethodImplSpec): void => {
    if (spec.kind !== "unary") return;
    routes.set(createMethodUrl("/", spec.method), {
      spec,
      serialization: createMethodSerializationLookup(spec.method, undefined, undefined, limits),
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
