/**
 * The gateway's pino logger. Every logged object and every child binding passes through
 * `redactSecrets`, so API keys, authorization headers and cookies never reach a log line whatever their
 * casing or depth. Prompts and completions are never logged at info: callers log them only at debug and
 * only when `server.logPrompts` is on.
 */
import { createRequire } from "node:module";
import path from "node:path";
import { pino, type Logger, type LoggerOptions } from "pino";
import { packageRoot } from "../package-root.js";
import { redactSecrets } from "./redact-secrets.js";

export type LogLevel = "fatal" | "error" | "warn" | "info" | "debug" | "trace" | "silent";

export interface CreateLoggerOptions {
  /** A pino level; unknown names throw. Strings are accepted so env values pass straight through. */
  level: LogLevel | (string & {});
  /** Human-readable output through pino-pretty when it is installed (it is not a dependency); JSON lines otherwise. */
  pretty?: boolean;
  /** Where lines go; stdout by default. Tests pass a stream to read them back. */
  destination?: NodeJS.WritableStream;
}

export type { Logger };

function asRecord(value: unknown): Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}

/**
 * pino-pretty as an in-process stream, or undefined when it is not installed. Not as a pino transport:
 * transports run in a worker that pino finds through `__dirname`, which the bundle in dist/ does not
 * have (see scripts/build.ts). It is resolved from the package root, the same from src/ and dist/.
 */
function prettyStream(): NodeJS.WritableStream | undefined {
  const requireFromRoot = createRequire(path.join(packageRoot(), "package.json"));
  let resolved: string;
  try {
    resolved = requireFromRoot.resolve("pino-pretty");
  } catch {
    return undefined;
  }
  const pretty = requireFromRoot(resolved) as (options: { colorize: boolean }) => NodeJS.WritableStream;
  return pretty({ colorize: true });
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
  const destination = options.destination ?? (options.pretty ? prettyStream() : undefined);
  const logger = destination ? pino(loggerOptions, destination) : pino(loggerOptions);
  return withRedactedChildBindings(logger);
}

/**
 * pino resets the bindings formatter for child loggers, so scrub child bindings here. Children are
 * created with the root as prototype, so grandchildren inherit this `child` too.
 */
function withRedactedChildBindings(logger: Logger): Logger {
  // Through `unknown` on purpose: pino's generic `child` signature makes TypeScript's check of `.call`
  // depend on the order it meets the types (TS2684 in some programs), not on this code.
  type Child = (this: Logger, bindings: Record<string, unknown>, options?: unknown) => Logger;
  const originalChild = logger.child as unknown as Child;
  const redactedChild: Child = function (this: Logger, bindings, childOptions) {
    return originalChild.call(this, asRecord(redactSecrets(bindings)), childOptions);
  };
  logger.child = redactedChild as unknown as Logger["child"];
  return logger;
}
