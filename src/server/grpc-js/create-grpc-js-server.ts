/**
 * The second listener: gRPC only, served by `@grpc/grpc-js`, which on one core does several times the
 * calls per second of connect-node's gRPC path (docs/benchmarking.md). It serves the same connect
 * `ServiceImpl` objects as the main port through serve-connect-impl-on-grpc-js.ts, so both ports answer
 * identically. Shutdown mirrors the main listener: `stopAccepting()` (grpc-js `tryShutdown`: no new
 * connections, GOAWAY to open ones, running calls continue), then `destroyAll()` (`forceShutdown`).
 */
import type { DescService } from "@bufbuild/protobuf";
import type { ServiceImpl } from "@connectrpc/connect";
import { Server, ServerCredentials } from "@grpc/grpc-js";
import { createMessageSizeInterceptor } from "./grpc-js-message-size.js";
import { serveConnectImplOnGrpcJs, type ServeOnGrpcJsOptions } from "./serve-connect-impl-on-grpc-js.js";

/** What both listeners register services on: connect's `ConnectRouter` satisfies it too. */
export interface ServiceRouter {
  service<S extends DescService>(service: S, implementation: Partial<ServiceImpl<S>>): unknown;
}

export interface GrpcJsServerOptions extends ServeOnGrpcJsOptions {
  routes: (router: ServiceRouter) => void;
  /** Largest accepted request message; larger ones get RESOURCE_EXHAUSTED / MESSAGE_TOO_LARGE. */
  maxMessageBytes: number;
}

export interface GrpcJsServer {
  /** Binds `host:port` (0 picks a free port); resolves with the bound port. */
  listen(port: number, host: string): Promise<number>;
  /** Refuses new connections and sends GOAWAY; running calls go on. */
  stopAccepting(): void;
  /** Closes every connection now, cancelling what still runs. */
  destroyAll(): void;
  /** Resolves once every connection has closed (after `stopAccepting`). */
  whenClosed(): Promise<void>;
}

/** Creates the grpc-js server with the routes registered; call `listen` to serve. */
export function createGrpcJsServer(options: GrpcJsServerOptions): GrpcJsServer {
  const server = new Server({
    "grpc.max_receive_message_length": options.maxMessageBytes,
    interceptors: [createMessageSizeInterceptor(options.maxMessageBytes)],
  });
  options.routes({
    service(service, implementation) {
      serveConnectImplOnGrpcJs(server, service, implementation, options);
    },
  });
  let closed: Promise<void> | undefined;

  return {
    listen(port, host) {
      const address = host.includes(":") ? `[${host}]:${port}` : `${host}:${port}`;
      return new Promise((resolve, reject) => {
        server.bindAsync(address, ServerCredentials.createInsecure(), (error, bound) => (error ? reject(error) : resolve(bound)));
      });
    },
    stopAccepting() {
      closed ??= new Promise((resolve) => server.tryShutdown(() => resolve()));
    },
    destroyAll() {
      server.forceShutdown();
    },
    whenClosed() {
      return closed ?? Promise.resolve();
    },
  };
}
