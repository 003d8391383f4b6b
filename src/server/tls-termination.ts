/**
 * TLS on the listener's port: handshakes (ALPN `h2`, then `http/1.1`), optional client certificates, and
 * certificates that change while the server runs. The listener hands each new TCP connection to
 * `accept`; once its handshake is done the secure socket comes back through `onSecure`, and the listener
 * gives it to its HTTP/2 or HTTP/1.1 server by the protocol ALPN chose (no ALPN: HTTP/1.1, as Node's own
 * `http2.createSecureServer({ allowHTTP1: true })` does).
 *
 * The files named by `server.tls` are read at start (a missing or invalid file stops the start) and again
 * when one of them changes or the config reloads with different TLS settings: the new certificate, key and
 * client CA serve every connection accepted after that, while open connections keep theirs. A file that
 * cannot be read or a certificate that does not match its key keeps the serving context (logged); the next
 * change tries again, so replacing the certificate and then the key a moment later works.
 */
import { readFileSync, watch, type FSWatcher } from "node:fs";
import { basename, dirname } from "node:path";
import tls, { type TLSSocket } from "node:tls";
import type { Socket } from "node:net";
import { isDeepStrictEqual } from "node:util";
import type { Logger } from "pino";
import type { ServerTlsConfig } from "../config/schema.js";

/** The protocols offered in ALPN, preferred first: gRPC needs h2, browsers and curl may pick either. */
export const alpnProtocols = ["h2", "http/1.1"];

export interface TlsTerminationOptions {
  /** The serving config's `server.tls`; read again for every new connection, so a reload applies. */
  config: () => ServerTlsConfig;
  logger: Logger;
  /** The longest a client may take to finish its handshake. */
  handshakeTimeoutMs: number;
  /** A connection whose handshake succeeded. */
  onSecure: (socket: TLSSocket) => void;
  /** How long file changes must be quiet before the files are read again. */
  debounceMs?: number;
}

export interface TlsTermination {
  /** Starts the handshake of a new TCP connection. */
  accept(socket: Socket): void;
  /** Reads the files and applies the settings again now (also done on a file change or a changed config). */
  reload(): void;
  /** Stops watching the files. */
  close(): void;
}

interface Files {
  cert: Buffer;
  key: Buffer;
  ca?: Buffer;
}

function readFiles(config: ServerTlsConfig): Files {
  return {
    cert: readFileSync(config.certFile),
    key: readFileSync(config.keyFile),
    ca: config.clientCaFile === undefined ? undefined : readFileSync(config.clientCaFile),
  };
}

/** Throws when the files are not a usable certificate and key (tls.createSecureContext's errors). */
function buildServer(config: ServerTlsConfig, files: Files, options: TlsTerminationOptions): tls.Server {
  // Validate first: `tls.Server` would only fail at the first handshake.
  tls.createSecureContext(files);
  const server = new tls.Server({
    ...files,
    ALPNProtocols: alpnProtocols,
    // A client certificate is asked for only with a CA to check it against; with `requireClientCert` the
    // handshake fails without one, otherwise the connection is anonymous (`authorized` false).
    requestCert: config.clientCaFile !== undefined,
    rejectUnauthorized: config.requireClientCert,
    handshakeTimeout: options.handshakeTimeoutMs,
  });
  server.on("secureConnection", options.onSecure);
  // A failed handshake (no client certificate, wrong protocol, a scanner): Node destroys the socket.
  server.on("tlsClientError", (error) => options.logger.debug({ err: error.message }, "TLS handshake failed"));
  return server;
}

export function createTlsTermination(options: TlsTerminationOptions): TlsTermination {
  const { logger } = options;
  let config = options.config();
  let loaded = readFiles(config);
  let server = buildServer(config, loaded, options);
  let watchers: FSWatcher[] = [];
  let timer: NodeJS.Timeout | undefined;
  const sameFiles = (files: Files): boolean =>
    files.cert.equals(loaded.cert) && files.key.equals(loaded.key) && (files.ca === undefined ? loaded.ca === undefined : loaded.ca !== undefined && files.ca.equals(loaded.ca));

  /** Reads the files again; `always` rebuilds even when they did not change (the settings did). */
  const reload = (always = true): void => {
    try {
      const files = readFiles(config);
      if (!always && sameFiles(files)) return;
      const next = buildServer(config, files, options);
      loaded = files;
      // Session tickets issued before the change still resume.
      next.setTicketKeys(server.getTicketKeys());
      server = next;
      logger.info({ certFile: config.certFile }, "TLS certificate loaded");
    } catch (error) {
      logger.error({ err: error instanceof Error ? error.message : String(error), certFile: config.certFile }, "TLS files not loaded; the previous certificate keeps serving");
    }
  };

  /** Watches the files' directories: tools replace files by rename and Kubernetes swaps a `..data` link. */
  const watchFiles = (): void => {
    for (const watcher of watchers) watcher.close();
    const files = [config.certFile, config.keyFile, config.clientCaFile].filter((file): file is string => file !== undefined);
    const names = new Set(files.map((file) => basename(file)));
    watchers = [...new Set(files.map((file) => dirname(file)))].flatMap((directory) => {
      try {
        // Not persistent: watching must not keep the process alive after the server has closed.
        const watcher = watch(directory, { persistent: false }, (_event, changed) => {
          // Other files in the directory are not ours; `..data` and its kin are Kubernetes' atomic swap.
          const name = changed === null ? undefined : changed.toString();
          if (name !== undefined && !names.has(name) && !name.startsWith("..")) return;
          clearTimeout(timer);
          timer = setTimeout(() => reload(false), options.debounceMs ?? 200);
          timer.unref();
        });
        watcher.on("error", (error) => logger.warn({ err: error.message, directory }, "watching the TLS files failed; reload the config to load new ones"));
        return [watcher];
      } catch (error) {
        logger.warn({ err: error instanceof Error ? error.message : String(error), directory }, "cannot watch the TLS files; reload the config to load new ones");
        return [];
      }
    });
  };
  watchFiles();

  return {
    accept(socket) {
      const current = options.config();
      if (current !== config && !isDeepStrictEqual(current, config)) {
        const filesMoved = current.certFile !== config.certFile || current.keyFile !== config.keyFile || current.clientCaFile !== config.clientCaFile;
        config = current;
        reload();
        if (filesMoved) watchFiles();
      } else {
        config = current;
      }
      server.emit("connection", socket);
    },
    reload,
    close() {
      clearTimeout(timer);
      for (const watcher of watchers) watcher.close();
      watchers = [];
    },
  };
}
