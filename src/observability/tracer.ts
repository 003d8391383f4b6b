/**
 * modelgate's one tracer, from the OpenTelemetry API. Made once: the API hands back a proxy that starts
 * real spans as soon as an SDK registers a tracer provider (tracing-sdk.ts, or the operator's own), and
 * non-recording ones until then.
 */
import { trace } from "@opentelemetry/api";

export const tracer = trace.getTracer("modelgate");
