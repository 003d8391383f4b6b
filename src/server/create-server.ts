/**
 * The gateway server: ONE port serving gRPC (h2c), gRPC-Web and Connect (HTTP/1.1 and h2c), with the
 * GatewayService (behind its interceptors), gRPC health and gRPC reflection (v1 and v1alpha).
 * `close()` drains gracefully: health turns NOT_SERVING, no new connections are accepted, running
 * completions get `graceMs` to finish, then every call's signal is aborted (the engine sees it) and the
 * remaining connections are closed.
 */
import { Code, ConnectError, createConnectRouter } from "@connectrpc/connect";
import { compressionBrotli, compressionGzip } from "@connectrpc/connect-node";
import { setMaxListeners } from "node:events";
import type { Logger } from "pino";
import { file_google_rpc_error_details } from "../../gen/google/rpc/error_details_pb.js";
import { file_grpc_reflection_v1_reflection, ServerReflection as ReflectionV1 } from "../../gen/grpc/reflection/v1/reflection_pb.js";
import {
  file_grpc_reflection_v1alpha_reflection,
  ServerReflection as ReflectionV1alpha,
} from "../../gen/grpc/reflection/v1alpha/reflection_pb.js";
import { file_health_v1_health, Health } from "../../gen/health/v1/health_pb.js";
import { file_modelgate_v1_errors } from "../../gen/modelgate/v1/errors_pb.js";
import { file_modelgate_v1_gateway_service, GatewayService } from "../../gen/modelgate/v1/gateway_service_pb.js";
import { AdminService } from "../../gen/modelgate/v1/admin_service_pb.js";
import type { CallerGate } from "../callers/caller-gate.js";
import { admitHttpCall, createHttpCallerAuthenticator } from "./authenticate-http-request.js";
import { adminTokenInterceptor, configKeyRecords, createAdminServiceImpl } from "./admin/admin-service.js";
import type { HealthMonitor } from "../dashboard/health-monitor.js";
import type { GatewayConfig } from "../config/schema.js";
import type { CompletionEngine, SharedStateStatus } from "../gateway/types.js";
import { createCorsPolicy } from "./cors.js";
import { createDescriptorIndex } from "./descriptor-index.js";
import { createGatewayInterceptors } from "./gateway-interceptors.js";
import { createGatewayServiceImpl } from "./gateway-service.js";
import { createHealthServiceImpl } from "./health-service.js";
import { createHealthState, sharedStateHealthName, type HealthState } from "./health-state.js";
import { createCertificateCaller } from "./client-certificate-caller.js";
import { createProtocolListener } from "./listener.js";
import { createNodeHandler, type ExtraRoutes } from "./node-handler.js";
import type { HttpAuthenticator } from "./openai/http-authenticator.js";
import { chatCompletionsPath, createOpenAIRoutes, isOpenAICompletionPath } from "./openai/openai-routes.js";
import { createStartPacer } from "./start-pacer.js";
import type { OverloadDoor } from "../gateway/overload-gate.js";
import { createMetricsRoute } from "./metrics-route.js";
import { createCallRecorder, type CallRecorder } from "../observability/call-recorder.js";
import type { GatewayMetrics } from "../observability/metrics.js";
import { createReflectionV1alphaImpl, createReflectionV1Impl } from "./reflection-service.js";

export interface CreateGatewayServerOptions {
  config: GatewayConfig;
  engine: CompletionEngine;
  logger: Logger;
  /** Overrides `server.port` (the CLI's --port); 0 picks a free port. */
  port?: number;
  /** Overrides `server.host`. */
  host?: string;
  /** Plain-HTTP routes for non-RPC paths, e.g. the `/playground` page. */
  extraRoutes?: ExtraRoutes;
  /** Caller authentication of the OpenAI-compatible edge (`/v1/...`); anonymous when absent. */
  authenticateHttp?: HttpAuthenticator;
  /** Where shared state lives now (reported by GetDeploymentStats and health); default "memory". */
  sharedState?: SharedStateReport;
  /** Served at `GET /metrics` when given (and `server.metrics` is on); the recorder counts calls into it. */
  metrics?: GatewayMetrics;
  /** Where each finished call's record goes; by default the log line (and `metrics`). */
  recorder?: CallRecorder;
  /** Caller keys, limits and budgets of the GatewayService (src/callers/); anonymous when absent. */
  callers?: CallerGate;
  /** The overload gate's door (the composed engine's): new completions wait at it, unparsed, while enough wait in the gate. */
  overloadDoor?: OverloadDoor;
  /** Live health for WatchHealth and `/dashboard` (src/dashboard/); one over `engine` alone when absent. */
  healthMonitor?: HealthMonitor;
  /**
   * The serving config after reloads: new connections take `server.tls`'s files from it and client
   * certificates map to callers by its `server.tls.callers` and `auth`. Default: `config`. Whether the
   * port speaks TLS at all is decided by `config` (a restart turns it on or off).
   */
  currentConfig?: () => GatewayConfig;
}

export interface SharedStateReport {
  status(): SharedStateStatus;
  onStatusChange(listener: (status: SharedStateStatus) => void): void;
}

export interface GatewayServer {
  /** The bound port. */
  readonly port: number;
  /** "http://host:port" ("https://" with `server.tls`), for clients. */
  readonly url: string;
  /** Serving status reported by grpc.health.v1.Health; SERVING once listening. */
  readonly health: HealthState;
  /** True once `close()` has started. */
  readonly draining: boolean;
  /** Drains and stops; `graceMs` defaults to `server.shutdownGraceMs`. Safe to call twice. */
  close(graceMs?: number): Promise<void>;
}

const gatewayPathPrefix = `/${GatewayService.typeName}/`;
/** The requests the start pacer spreads over turns: the completions, on both edges. */
const completionPaths = new Set([`${gatewayPathPrefix}Complete`, `${gatewayPathPrefix}StreamComplete`, chatCompletionsPath]);
/** A burst of 1,000 streams' starts held the loop 350–450 ms a turn unpaced; 8 keeps each turn's share small, and 4 did no better (docs/benchmarks.md, "Overload"). */
const completionStartsPerTurn = 8;
/** After the grace period, how long aborted handlers get to write their final status. */
const abortSettleMs = 1_000;

/** Starts the gateway server and resolves once it listens and reports SERVING. */
export async function createGatewayServer(options: CreateGatewayServerOptions): Promise<GatewayServer> {
  const { config, engine, logger } = options;
  const serverConfig = config.server;
  const currentConfig = options.currentConfig ?? ((): GatewayConfig => config);
  const health = createHealthState();
  const shutdown = new AbortController();
  // Every call that connect serves links its context to this signal (one abort listener per running
  // call), so more than 10 concurrent calls are normal, not a leak: no MaxListenersExceededWarning.
  setMaxListeners(0, shutdown.signal);
  let draining = false;
  let gatewayCalls = 0;
  let allRequests = 0;
  let idleWaiters: (() => void)[] = [];
  const notifyIdle = (): void => {
    const waiters = idleWaiters;
    idleWaiters = [];
    for (const wake of waiters) wake();
  };

  const index = createDescriptorIndex(
    [
      file_modelgate_v1_gateway_service,
      file_modelgate_v1_errors,
      file_google_rpc_error_details,
      file_health_v1_health,
      file_grpc_reflection_v1_reflection,
      file_grpc_reflection_v1alpha_reflection,
    ],
    [GatewayService.typeName, Health.typeName, ReflectionV1.typeName, ReflectionV1alpha.typeName],
  );
  const router = createConnectRouter({
    readMaxBytes: serverConfig.maxMessageBytes,
    shutdownSignal: shutdown.signal,
    acceptCompression: [compressionGzip, compressionBrotli],
  });
  const callers = options.callers;
  const recorder = options.recorder ?? createCallRecorder({ logger, metrics: options.metrics });
  const metricsRoute = options.metrics !== undefined && serverConfig.metrics ? createMetricsRoute(options.metrics, logger) : undefined;
  const sharedStateStatus = (): SharedStateStatus => options.sharedState?.status() ?? "memory";
  router.service(GatewayService, createGatewayServiceImpl(engine, { config: serverConfig, logger, isDraining: () => draining, sharedState: sharedStateStatus, healthMonitor: options.healthMonitor }), {
    interceptors: createGatewayInterceptors({ config: serverConfig, logger, callers: options.callers, recorder }),
  });
  // Caller keys' admin API: only with caller keys and an admin token (src/server/admin/admin-service.ts).
  if (options.callers !== undefined && (serverConfig.admin.token ?? "") !== "") {
    router.service(AdminService, createAdminServiceImpl({ callers: options.callers, configKeys: () => configKeyRecords(config), logger }), {
      interceptors: [adminTokenInterceptor(() => serverConfig.admin.token)],
    });
  }
  router.service(Health, createHealthServiceImpl(health));
  router.service(ReflectionV1, createReflectionV1Impl(index));
  router.service(ReflectionV1alpha, createReflectionV1alphaImpl(index));

  // The OpenAI-compatible edge (src/server/openai/): same engine, scope, rules and drain as the RPCs.
  const openAIRoutes = serverConfig.openaiCompatibleApi
    ? createOpenAIRoutes({ engine, config: serverConfig, logger, isDraining: () => draining, shutdownSignal: shutdown.signal, authenticate: options.authenticateHttp ?? (callers === undefined ? undefined : createHttpCallerAuthenticator(callers)), recorder, admit: callers === undefined ? undefined : (caller, call) => admitHttpCall(callers, caller, call) })
    : undefined;
  const handler = createNodeHandler({
    router,
    maxMessageBytes: serverConfig.maxMessageBytes,
    cors: createCorsPolicy(serverConfig.cors.allowedOrigins),
    extraRoutes: (request, response) =>
      openAIRoutes?.(request, response) || metricsRoute?.(request, response) || (options.extraRoutes?.(request, response) ?? false),
    logger,
    isDraining: () => draining,
    certificateCaller: serverConfig.tls === undefined ? undefined : createCertificateCaller({ tls: () => currentConfig().server.tls, auth: () => currentConfig().auth }),
    onRequestStart: (path: string): void => {
      allRequests++;
      if (path.startsWith(gatewayPathPrefix) || isOpenAICompletionPath(path)) gatewayCalls++;
    },
    onRequestEnd: (path: string): void => {
      allRequests--;
      if (path.startsWith(gatewayPathPrefix) || isOpenAICompletionPath(path)) gatewayCalls--;
      notifyIdle();
    },
  });
  const startTls = serverConfig.tls;
  // Completions start at most `completionStartsPerTurn` per turn of the loop (start-pacer.ts), and wait
  // there unparsed while the overload gate has enough waiting; the rest of the traffic (health, metrics,
  // stats) is never held behind them. A draining server holds none: they start and are refused
  // UNAVAILABLE (nothing of theirs has run, so a client may retry them on another replica).
  const door = options.overloadDoor;
  const pacedCompletions = createStartPacer(
    handler,
    completionStartsPerTurn,
    door === undefined ? undefined : { ...door, shouldHold: () => !draining && door.shouldHold() },
  );
  const pacedHandler: typeof handler = (request, response) =>
    (completionPaths.has((request.url ?? "").split("?", 1)[0]) ? pacedCompletions : handler)(request, response);
  const listener = createProtocolListener(
    pacedHandler,
    serverConfig.connections,
    startTls === undefined ? undefined : { config: () => currentConfig().server.tls ?? startTls, logger },
  );
  const host = options.host ?? serverConfig.host;
  const port = await listener.listen(options.port ?? serverConfig.port, host);
  health.setAll("SERVING");
  // The replica serves either way; a separate name tells an operator it runs on its own memory.
  const reportSharedState = (status: SharedStateStatus): void => {
    if (!draining) health.set(sharedStateHealthName, status === "local" ? "NOT_SERVING" : "SERVING");
  };
  reportSharedState(sharedStateStatus());
  options.sharedState?.onStatusChange(reportSharedState);
  const urlHost = host.includes(":") ? `[${host}]` : host === "0.0.0.0" ? "127.0.0.1" : host;

  /** Resolves when `done()` holds or `timeoutMs` passed. */
  const waitUntil = (done: () => boolean, timeoutMs: number): Promise<void> =>
    new Promise((resolve) => {
      if (done()) return resolve();
      const timer = setTimeout(finish, timeoutMs);
      function finish(): void {
        clearTimeout(timer);
        resolve();
      }
      const check = (): void => {
        if (done()) finish();
        else idleWaiters.push(check);
      };
      idleWaiters.push(check);
    });

  let closing: Promise<void> | undefined;
  const close = (graceMs: number = serverConfig.shutdownGraceMs): Promise<void> => {
    closing ??= (async () => {
      draining = true;
      health.setAll("NOT_SERVING");
      listener.stopAccepting();
      logger.info({ graceMs, running: gatewayCalls }, "draining: waiting for running calls");
      await waitUntil(() => gatewayCalls === 0 && pacedCompletions.waiting() === 0, graceMs);
      if (gatewayCalls > 0) logger.warn({ running: gatewayCalls }, "grace period over: aborting running calls");
      shutdown.abort(new ConnectError("the gateway is shutting down", Code.Unavailable));
      await waitUntil(() => allRequests === 0 && pacedCompletions.waiting() === 0, abortSettleMs);
      listener.destroyAll();
      await listener.whenClosed();
      logger.info("server closed");
    })();
    return closing;
  };

  return {
    port,
    url: `${startTls === undefined ? "http" : "https"}://${urlHost}:${port}`,
    health,
    get draining() {
      return draining;
    },
    close,
  };
}
