/**
 * Where call records go: one `call finished` line in the log (info), optionally one JSON line per call
 * appended to a file the operator names (`observability.recordsFile`), the Prometheus metrics and the
 * dashboard's recent fallbacks. Every
 * edge hands its finished calls here, so each call is recorded exactly once, the same way.
 */
import { recordFallbacksOf, type FallbackLog } from "../dashboard/fallback-log.js";
import pino, { type Logger } from "pino";
import type { CallRecord } from "./call-record.js";
import type { GatewayMetrics } from "./metrics.js";

export interface CallRecorder {
  record(record: CallRecord): void;
  /** Flushes and closes the records file. */
  close(): Promise<void>;
}

export interface CallRecorderOptions {
  logger: Logger;
  metrics?: GatewayMetrics;
  /** Appends one JSON line per call; created with its directory when missing. */
  recordsFile?: string;
  /** The dashboard's recent fallbacks, taken from each record's attempts. */
  fallbacks?: FallbackLog;
}

export function createCallRecorder(options: CallRecorderOptions): CallRecorder {
  const { logger, metrics } = options;
  // An asynchronous pino destination: writes are buffered and never block the call (sonic-boom).
  const destination = options.recordsFile === undefined ? undefined : pino.destination({ dest: options.recordsFile, mkdir: true, sync: false });
  const file = destination === undefined ? undefined : pino({ base: undefined, timestamp: false, messageKey: "event" }, destination);
  return {
    record(record) {
      metrics?.observeCall(record);
      if (options.fallbacks !== undefined) recordFallbacksOf(record, options.fallbacks);
      file?.info(record);
      if (logger.isLevelEnabled("info")) logger.info(record, "call finished");
    },
    async close() {
      if (destination === undefined) return;
      await new Promise<void>((resolve) => {
        destination.flush(() => {
          destination.end();
          resolve();
        });
      });
    },
  };
}
