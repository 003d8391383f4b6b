/**
 * The gateway's pino logger. Every logged object and every child binding passes through
 * `redactSecrets`, so API keys, authorization headers and cookies never reach a log line whatever their
 * casing or depth. Prompts and completions are never logged at info: callers log them only at debug and
 * only when `server.logPrompts` is on.
 */
import { createRequire } from "node:module";
import { pino, type Logger, type LoggerOptions } from "pino";
import { redactSecrets } from "./redact-secrets.js";

export type LogLevel = "fatal" | "error" | "warn" | "info" | "debug" | "trace" | "silent";

export interface CreateLoggerOptions {
  /** A pino level; unknown names throw. Strings are accepted so env values pass straight through. */
  level: LogLevel | (string & {});
  /** Human-readable output through pino-pretty when it is installed; JSON lines otherwise. */
  pretty?: boolean;
  /** Where lines go; stdout by default. Tests pass a stream to read them back. */
  destination?: NodeJS.WritableStream;
}

export type { Logger };

function asRecord(value: unknown): Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}

function prettyAvailable(): boolean {
  try {
    createRequire(import.meta.url).resolve("pino-pretty");
    return true;
  } catch {
    return false;
  }
}

/** Creates the root logger; use `logger.child({ requestId })` per request. */
export function createLogger(options: CreateLoggerOptions): Logger {
  const loggerOptions: LoggerOptions = {
    level: options.level,
    base: { service: "modelgate" },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: {
      level: (label) => ({ level: label }),
      bindings: (bindings) => asRecord(redactSecrets(bindings)),
      log: (object) => asRecord(redactSecrets(object)),
    },
  };
  let logger: Logger;
  if (options.pretty && !options.destination && prettyAvailable()) {
    logger = pino({ ...loggerOptions, transport: { target: "pino-pretty", options: { colorize: true } } });
  } else if (options.destination) {
    logger = pino(loggerOptions, options.destination);
  } else {
    logger = pino(loggerOptions);
  }
  return withRedactedChildBindings(logger);
}

/**
 * pino resets the bindings formatter for child loggers, so scrub child bindings here. Children are
 * created with the root as prototype, so grandchildren inherit this `child` too.
 */
function withRedactedChildBindings(logger: Logger): Logger {
  const originalChild = logger.child;
  logger.child = function redactedChild(this: Logger, bindings, childOptions) {
    return originalChild.call(this, asRecord(redactSecrets(bindings)), childOptions);
  } as Logger["child"];
  return logger;
}
