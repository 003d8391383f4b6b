/**
 * Notices changes of the config file. It watches the file's directory, not the file: editors and
 * config tools often replace the file (write a temporary file, rename it over the old one), which
 * ends a watch on the old file, and Kubernetes swaps a `..data` symlink beside the file. Events come in
 * bursts (truncate, write, rename), so `onChange` runs once the directory has been quiet `debounceMs`.
 * A change may be reported when the content did not change; the reader compares contents.
 */
import { watch, type FSWatcher } from "node:fs";
import { basename, dirname } from "node:path";
import type { Logger } from "pino";

export interface ConfigFileWatcher {
  /** Stops watching; a pending change is dropped. */
  close(): void;
}

export interface WatchConfigFileOptions {
  debounceMs: number;
  onChange: () => void;
  logger: Logger;
}

/** Starts watching `path`; returns undefined (after a warning) when its directory cannot be watched. */
export function watchConfigFile(path: string, options: WatchConfigFileOptions): ConfigFileWatcher | undefined {
  const fileName = basename(path);
  let timer: NodeJS.Timeout | undefined;
  let watcher: FSWatcher;
  try {
    // Not persistent: watching must not keep the process alive after the server has closed.
    watcher = watch(dirname(path), { persistent: false }, (_event, changed) => {
      const name = changed === null ? undefined : changed.toString();
      if (name !== undefined && name !== fileName && !name.startsWith("..")) return;
      clearTimeout(timer);
      timer = setTimeout(options.onChange, options.debounceMs);
      timer.unref();
    });
  } catch (error) {
    options.logger.warn({ err: error, config: path }, "cannot watch the config file; reload with SIGHUP instead");
    return undefined;
  }
  watcher.on("error", (error) => options.logger.warn({ err: error, config: path }, "watching the config file failed; reload with SIGHUP instead"));
  return {
    close() {
      clearTimeout(timer);
      watcher.close();
    },
  };
}
