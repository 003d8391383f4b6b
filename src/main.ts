/**
 * The modelgate CLI. `modelgate [serve] [--config PATH] [--port N]` loads the config, builds the engine
 * and serves gRPC, gRPC-Web and Connect on one port until SIGTERM/SIGINT, then drains gracefully. SIGHUP,
 * a change of the config file or `POST /admin/reload` reloads the config without a restart
 * (docs/config-reload.md).
 * `modelgate simulate ...` runs the vendor simulator. Everything here is importable; the file only runs
 * itself when executed directly (`tsx src/main.ts`, or its bundle `node dist/modelgate.mjs` built by
 * `npm run build`), and `bin/modelgate.mjs` calls `main()`.
 */
import { pathToFileURL } from "node:url";
import { composeEngine } from "./compose-engine.js";
import { createLocalConfigAnnouncer } from "./config/config-announcer.js";
import { createConfigReloader } from "./config/config-reloader.js";
import { ConfigError, loadConfig, resolveConfigPath } from "./config/load-config.js";
import type { GatewayConfig } from "./config/schema.js";
import { aliasSplits } from "./dashboard/alias-splits.js";
import { createHealthMonitor } from "./dashboard/health-monitor.js";
import { createLogger } from "./observability/logger.js";
import { createAdminReloadRoute } from "./server/admin-reload-route.js";
import { createHttpCallerAuthenticator } from "./server/authenticate-http-request.js";
import { createGatewayServer, type GatewayServer } from "./server/create-server.js";
import { startIdleMemoryRelease } from "./server/idle-memory-release.js";
import type { ExtraRoutes } from "./server/node-handler.js";
import { createStateStore } from "./state/create-state-store.js";
import { createCallRecorder } from "./observability/call-recorder.js";

// The engine, the simulator and the playground are imported lazily: `modelgate simulate` needs no engine,
// `serve` needs no simulator, a gateway with `server.playground: false` never loads the playground, and
// a bad config is reported before any of them is loaded. In the bundle each is its own chunk.

const usage = `usage:
  modelgate [serve] [--config PATH] [--port N]   serve the gateway (config: --config, $MODELGATE_CONFIG or modelgate.yaml)
  modelgate simulate [...]                       run the vendor simulator
  modelgate keys create|list|revoke [...]        manage caller keys through a running gateway
  modelgate --help`;

interface ServeArguments {
  configPath: string;
  port?: number;
}

function parseServeArguments(argv: string[], env: NodeJS.ProcessEnv): ServeArguments | string {
  let port: number | undefined;
  for (let index = 0; index < argv.length; index++) {
    const argument = argv[index];
    if (argument === "--config") {
      if (argv[index + 1] === undefined) return "--config needs a path";
      index++;
    } else if (argument.startsWith("--config=")) {
      continue;
    } else if (argument === "--port" || argument.startsWith("--port=")) {
      const value = argument === "--port" ? argv[++index] : argument.slice("--port=".length);
      const parsed = Number(value);
      if (value === undefined || !Number.isInteger(parsed) || parsed < 0 || parsed > 65_535) {
        return `--port needs a port number 0..65535, got ${value ?? "nothing"}`;
      }
      port = parsed;
    } else {
      return `unknown argument ${argument}`;
    }
  }
  return { configPath: resolveConfigPath(argv, env), port };
}

/** Runs the CLI; resolves with the process exit code (serve resolves only after shutdown). */
export async function main(argv: string[] = process.argv.slice(2), env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const [command, ...rest] = argv;
  if (command === "--help" || command === "-h" || command === "help") {
    process.stdout.write(`${usage}\n`);
    return 0;
  }
  if (command === "keys") {
    const { runKeysCommand } = await import("./server/admin/keys-command.js");
    return runKeysCommand(rest, env);
  }
  if (command === "simulate") {
    const { runSimulateCommand } = await import("./simulator/cli.js");
    await runSimulateCommand(rest);
    return 0;
  }
  return serve(command === "serve" ? rest : argv, env);
}

async function serve(argv: string[], env: NodeJS.ProcessEnv): Promise<number> {
  const parsed = parseServeArguments(argv, env);
  if (typeof parsed === "string") {
    process.stderr.write(`modelgate: ${parsed}\n${usage}\n`);
    return 2;
  }
  let config: GatewayConfig;
  try {
    config = loadConfig(parsed.configPath, env);
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`modelgate: invalid config\n${error.message}\n`);
      return 1;
    }
    throw error;
  }

  const logger = createLogger({ level: config.server.logLevel, pretty: env.MODELGATE_LOG_PRETTY === "1" });
  // Exporting traces loads the OpenTelemetry SDK; without `telemetry.otlp` only its API is loaded.
  const otlp = config.telemetry?.otlp;
  const tracing = otlp === undefined ? undefined : (await import("./observability/tracing-sdk.js")).startTracingSdk(otlp, logger);
  // Breakers, routing inputs and stats: in Redis when the config names one (shared with the other
  // replicas, which also hear of reloads through it), else in memory.
  const state = await createStateStore(config, logger);
  const announcer =
    state.redis === undefined || config.redis === undefined
      ? createLocalConfigAnnouncer()
      : (await import("./state/redis-config-announcer.js")).createRedisConfigAnnouncer({ commands: state.redis.commands, subscriber: state.redis.subscriber, keyPrefix: config.redis.keyPrefix, logger });
  const { engine, fallbacks, rebuild } = await composeEngine({ config, current: () => reloader.current(), state, logger });
  const reloader = createConfigReloader({
    path: parsed.configPath,
    env,
    initial: config,
    logger,
    announcer,
    apply: rebuild,
  });
  const adminRoute = createAdminReloadRoute({
    token: () => reloader.current().server.admin.token,
    reload: () => reloader.reloadFile("admin"),
    logger,
  });
  const { createCallerGateFromConfig } = await import("./callers/create-caller-gate.js");
  const callers = await createCallerGateFromConfig({
    auth: () => reloader.current().auth,
    keyFile: config.auth?.keyFile,
    redis: config.redis === undefined ? undefined : { config: config.redis, availability: state.availability },
    logger,
  });
  if (!callers.authenticator.enabled()) logger.warn("caller authentication is off (no auth section): anyone who reaches the port can call");
  // One record per finished call, from either edge: the log line, the records file, the metrics.
  const metrics = config.server.metrics ? (await import("./observability/metrics.js")).createGatewayMetrics({ engine: () => engine, overload: () => engine.overload() }) : undefined;
  const recorder = createCallRecorder({ logger, metrics, recordsFile: config.server.recordsFile, fallbacks });
  const playgroundRoute = config.server.playground
    ? (await import("./playground/playground-route.js")).createPlaygroundRoute({ logger })
    : undefined;
  const dashboardRoute = config.server.dashboard
    ? (await import("./dashboard/dashboard-route.js")).createDashboardRoute({ logger })
    : undefined;
  const healthMonitor = createHealthMonitor({ engine, aliases: () => aliasSplits(reloader.current()), fallbacks, sharedState: () => state.status(), logger });
  const extraRoutes: ExtraRoutes = (request, response) =>
    adminRoute(request, response) || (playgroundRoute?.(request, response) ?? false) || (dashboardRoute?.(request, response) ?? false);
  let server: GatewayServer;
  try {
    server = await createGatewayServer({ config, engine, logger, port: parsed.port, extraRoutes, sharedState: state, callers, healthMonitor, metrics, recorder, overloadDoor: engine.door, authenticateHttp: createHttpCallerAuthenticator(callers), currentConfig: () => reloader.current() });
  } catch (error) {
    reloader.close();
    await engine.close();
    await state.close();
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== "EADDRINUSE" && code !== "EACCES" && code !== "EADDRNOTAVAIL") throw error;
    const address = `${config.server.host}:${parsed.port ?? config.server.port}`;
    const why = code === "EADDRINUSE" ? "the port is in use" : code === "EACCES" ? "permission denied" : "no such address here";
    process.stderr.write(`modelgate: cannot listen on ${address}: ${why} (set server.port or --port)\n`);
    return 1;
  }
  logger.info({ url: server.url, port: server.port, config: parsed.configPath }, "modelgate listening (gRPC, gRPC-Web, Connect)");
  const idleMemoryRelease = startIdleMemoryRelease({ idleMs: config.server.releaseIdleMemoryAfterMs, logger });

  const onReloadSignal = (): void => {
    reloader.reloadFile("signal").catch((error: unknown) => logger.error({ err: error }, "config reload failed"));
  };
  process.on("SIGHUP", onReloadSignal);

  return new Promise<number>((resolve) => {
    let signals = 0;
    const onSignal = (signal: NodeJS.Signals): void => {
      signals++;
      if (signals > 1) {
        logger.warn({ signal }, "second signal: exiting now");
        process.exit(1);
      }
      logger.info({ signal, graceMs: config.server.shutdownGraceMs }, "shutting down");
      void (async () => {
        idleMemoryRelease.stop();
        reloader.close();
        process.off("SIGHUP", onReloadSignal);
        await server.close();
        await engine.close();
        await callers.close();
        await recorder.close();
        await state.close();
        await tracing?.shutdown();
        process.off("SIGTERM", onSignal);
        process.off("SIGINT", onSignal);
        resolve(0);
      })();
    };
    process.on("SIGTERM", onSignal);
    process.on("SIGINT", onSignal);
  });
}

const invokedDirectly = process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href;
if (invokedDirectly) {
  main().then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      process.stderr.write(`modelgate: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
      process.exitCode = 1;
    },
  );
}
