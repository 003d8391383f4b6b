/**
 * The OpenTelemetry SDK, loaded only when the config has `telemetry.otlp`: main.ts imports this module
 * lazily, and the SDK packages come with it, so a gateway without an exporter loads `@opentelemetry/api`
 * and nothing more (the bundle keeps this module and the SDK in chunks of their own). The SDK packages
 * are imported statically here rather than with `import()`: in a bundle chunk a CommonJS package's
 * dynamic import yields only its `default`, whereas a static import is given its named exports.
 *
 * It registers, through the API's globals, a tracer provider whose batch processor sends spans as OTLP
 * JSON over HTTP, and the W3C trace-context propagator, which turns on reading the caller's
 * `traceparent` and writing it to vendor calls (trace-context.ts). The SDK's own diagnostics (a failed
 * export) go to the gateway's log at warn level.
 */
import { diag, DiagLogLevel, propagation, trace } from "@opentelemetry/api";
import { W3CTraceContextPropagator } from "@opentelemetry/core";
import { OTLPTraceExporter } from "@opentelemetry/exporter-trace-otlp-http";
import { resourceFromAttributes } from "@opentelemetry/resources";
import { BasicTracerProvider, BatchSpanProcessor, ParentBasedSampler, TraceIdRatioBasedSampler } from "@opentelemetry/sdk-trace-base";
import type { Logger } from "pino";
import type { TelemetryConfig } from "../config/schema.js";

export type OtlpConfig = NonNullable<TelemetryConfig["otlp"]>;

export interface TracingSdk {
  /** Where spans go. */
  readonly tracesUrl: string;
  /** Sends the spans still waiting, then unregisters the SDK; every later span is a no-op. */
  shutdown(): Promise<void>;
}

/** Loads the SDK and registers it globally; call once, before the server takes calls. */
export function startTracingSdk(config: OtlpConfig, logger: Logger): TracingSdk {
  const tracesUrl = `${config.endpoint.replace(/\/+$/, "")}/v1/traces`;
  const log = logger.child({ component: "opentelemetry" });
  diag.setLogger(
    {
      error: (message, ...args) => log.warn({ details: args.map(String) }, message),
      warn: (message, ...args) => log.warn({ details: args.map(String) }, message),
      info: () => undefined,
      debug: () => undefined,
      verbose: () => undefined,
    },
    { logLevel: DiagLogLevel.WARN, suppressOverrideMessage: true },
  );
  const exporter = new OTLPTraceExporter({ url: tracesUrl, headers: { ...config.headers }, timeoutMillis: config.exportTimeoutMs });
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ "service.name": config.serviceName }),
    sampler: new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(config.sampleRatio) }),
    spanProcessors: [
      new BatchSpanProcessor(exporter, {
        scheduledDelayMillis: config.exportDelayMs,
        exportTimeoutMillis: config.exportTimeoutMs,
      }),
    ],
  });
  trace.setGlobalTracerProvider(provider);
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  const shownUrl = new URL(tracesUrl);
  shownUrl.username = "";
  shownUrl.password = "";
  shownUrl.search = "";
  logger.info({ tracesUrl: shownUrl.href, serviceName: config.serviceName, sampleRatio: config.sampleRatio }, "exporting traces (OTLP/HTTP)");
  return {
    tracesUrl,
    async shutdown() {
      try {
        await provider.shutdown();
      } catch (error) {
        log.warn({ err: error }, "traces not flushed at shutdown");
      }
      trace.disable();
      propagation.disable();
      diag.disable();
    },
  };
}
