/**
 * Config reload without a restart. A reload reads the config file (on SIGHUP, a change of the file or
 * the admin route) or takes the text another replica announced, validates it exactly as at start
 * (`parseConfig`: schema, cross-references, `${VAR}` interpolation), and hands it to `apply`, which
 * builds the new engine and swaps it in. A config with problems is refused and logged with every
 * problem; the old one keeps serving. Reloads run one at a time, in the order they were asked for.
 *
 * What applies live: providers, deployments, aliases, routing and the `reload` section itself, and
 * `server.admin`. The rest of `server` (port, host, connection limits, ...) and `redis` are fixed when
 * the process starts: a change there is logged as needing a restart and otherwise ignored.
 */
import { readFile } from "node:fs/promises";
import { isDeepStrictEqual } from "node:util";
import type { Logger } from "pino";
import type { ConfigAnnouncer } from "./config-announcer.js";
import { ConfigError, parseConfig } from "./load-config.js";
import type { GatewayConfig } from "./schema.js";
import { watchConfigFile, type ConfigFileWatcher } from "./watch-config-file.js";

/** What asked for a reload. */
export type ReloadTrigger = "signal" | "file-change" | "admin" | "announcement";

export type ReloadOutcome =
  /** The new config serves new calls; `needsRestart` lists the settings that did not apply. */
  | { status: "applied"; needsRestart: string[] }
  /** The config equals the one serving; nothing was done. */
  | { status: "unchanged" }
  /** The config cannot be used; the old one keeps serving. */
  | { status: "refused"; problems: string[] };

export interface ConfigReloaderOptions {
  /** The config file. */
  path: string;
  /** For `${VAR}` interpolation, as at start. */
  env: NodeJS.ProcessEnv;
  /** The config the process started with. */
  initial: GatewayConfig;
  logger: Logger;
  /** Builds what `next` needs and switches to it; throws (switching nothing) when it cannot. */
  apply(next: GatewayConfig): Promise<void>;
  /** Tells other replicas about applied configs, and hears theirs. */
  announcer: ConfigAnnouncer;
}

export interface ConfigReloader {
  /** The config serving now. */
  current(): GatewayConfig;
  /** Re-reads the config file and applies it; announces it to other replicas when applied. */
  reloadFile(trigger: Exclude<ReloadTrigger, "announcement">): Promise<ReloadOutcome>;
  /** Applies config text announced by another replica (never announced again). */
  applyAnnounced(text: string): Promise<ReloadOutcome>;
  /** Stops watching the file. */
  close(): void;
}

/** `server` settings that apply live; every other one needs a restart. */
const liveServerSettings: ReadonlySet<string> = new Set(["admin"]);

/** The settings of `next` that differ from what the process started with and cannot apply live. */
export function settingsNeedingRestart(started: GatewayConfig, next: GatewayConfig): string[] {
  const changed: string[] = [];
  const keys = new Set([...Object.keys(started.server), ...Object.keys(next.server)]);
  for (const key of keys) {
    if (liveServerSettings.has(key)) continue;
    // New TLS files and client-certificate callers apply to new connections; turning TLS on or off does not.
    if (key === "tls" && started.server.tls !== undefined && next.server.tls !== undefined) continue;
    const before = (started.server as Record<string, unknown>)[key];
    const after = (next.server as Record<string, unknown>)[key];
    if (!isDeepStrictEqual(before, after)) changed.push(`server.${key}`);
  }
  if (!isDeepStrictEqual(started.redis, next.redis)) changed.push("redis");
  if (!isDeepStrictEqual(started.telemetry, next.telemetry)) changed.push("telemetry");
  return changed;
}

export function createConfigReloader(options: ConfigReloaderOptions): ConfigReloader {
  const { path, env, logger, announcer } = options;
  const started = options.initial;
  let current = options.initial;
  /** The file's text as last read, so a change event that changed nothing is not reported. */
  let lastFileText: string | undefined;
  let queue: Promise<unknown> = Promise.resolve();
  let watcher: ConfigFileWatcher | undefined;
  let closed = false;

  const serialized = <T>(run: () => Promise<T>): Promise<T> => {
    const result = queue.then(run);
    queue = result.catch(() => undefined);
    return result;
  };

  const refuse = (trigger: ReloadTrigger, problems: string[]): ReloadOutcome => {
    logger.error({ trigger, config: path, problems }, "config reload refused: the old config keeps serving");
    return { status: "refused", problems };
  };

  /** Validates `text` and applies it; `announce` is false for text another replica announced. */
  async function applyText(text: string, trigger: ReloadTrigger, announce: boolean): Promise<ReloadOutcome> {
    let next: GatewayConfig;
    try {
      next = parseConfig(text, path, env);
    } catch (error) {
      if (error instanceof ConfigError) return refuse(trigger, error.problems);
      throw error;
    }
    if (isDeepStrictEqual(next, current)) {
      // A file event without a real change (a touch, a save of the same content) is not news.
      logger[trigger === "file-change" ? "debug" : "info"]({ trigger, config: path }, "config unchanged");
      return { status: "unchanged" };
    }
    try {
      await options.apply(next);
    } catch (error) {
      logger.error({ err: error, trigger, config: path }, "config reload failed while building the new engine: the old config keeps serving");
      return { status: "refused", problems: [`the new config could not be applied: ${error instanceof Error ? error.message : String(error)}`] };
    }
    const previous = current;
    current = next;
    if (!isDeepStrictEqual(previous.reload, next.reload)) restartWatcher();
    const needsRestart = settingsNeedingRestart(started, next);
    logger.info({ trigger, config: path }, "config reloaded: new calls use the new config, running calls finish on the old one");
    if (needsRestart.length > 0) {
      logger.warn({ settings: needsRestart }, "these config changes need a restart and were ignored until then");
    }
    if (announce) {
      await announcer.announce(text).catch((error: unknown) => logger.warn({ err: error }, "could not announce the reloaded config to other replicas"));
    }
    return { status: "applied", needsRestart };
  }

  async function reloadFromFile(trigger: Exclude<ReloadTrigger, "announcement">): Promise<ReloadOutcome> {
    let text: string;
    try {
      text = await readFile(path, "utf8");
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      return refuse(trigger, [`${path}: cannot read the config file (${code ?? String(error)})`]);
    }
    const seen = text === lastFileText;
    lastFileText = text;
    if (seen && trigger === "file-change") return { status: "unchanged" };
    return applyText(text, trigger, true);
  }

  function restartWatcher(): void {
    watcher?.close();
    watcher = undefined;
    if (closed || !current.reload.watchFile) return;
    watcher = watchConfigFile(path, {
      debounceMs: current.reload.debounceMs,
      logger,
      onChange: () => reloader.reloadFile("file-change").catch((error: unknown) => logger.error({ err: error }, "config reload failed")),
    });
  }

  const reloader: ConfigReloader = {
    current: () => current,
    reloadFile: (trigger) => serialized(() => reloadFromFile(trigger)),
    applyAnnounced: (text) => serialized(() => applyText(text, "announcement", false)),
    close() {
      closed = true;
      watcher?.close();
      watcher = undefined;
    },
  };
  announcer.onAnnounce((text) => {
    reloader.applyAnnounced(text).catch((error: unknown) => logger.error({ err: error }, "applying an announced config failed"));
  });
  restartWatcher();
  return reloader;
}
