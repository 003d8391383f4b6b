/**
 * W3C trace context in and out, through the OpenTelemetry API's global propagator: the caller's
 * `traceparent`/`tracestate` become the call's parent context at the edge, and an attempt's context
 * becomes the headers of its vendor request. Until an SDK registers a propagator (tracing-sdk.ts, or the
 * operator's own), the API's propagator is a no-op: nothing is read or sent, and nothing is allocated
 * beyond the call itself.
 */
import type { IncomingHttpHeaders } from "node:http";
import { isSpanContextValid, propagation, ROOT_CONTEXT, trace, type Context, type TextMapGetter, type TextMapSetter } from "@opentelemetry/api";

const fetchHeadersGetter: TextMapGetter<Headers> = {
  keys: (carrier) => {
    const names: string[] = [];
    carrier.forEach((_value, name) => names.push(name));
    return names;
  },
  get: (carrier, key) => carrier.get(key) ?? undefined,
};

const nodeHeadersGetter: TextMapGetter<IncomingHttpHeaders> = {
  keys: (carrier) => Object.keys(carrier),
  get: (carrier, key) => carrier[key.toLowerCase()],
};

const recordSetter: TextMapSetter<Record<string, string>> = {
  set: (carrier, key, value) => {
    carrier[key] = value;
  },
};

/** The caller's trace context from a Connect request's headers (the root context without one). */
export function traceContextFromHeaders(headers: Headers): Context {
  return propagation.extract(ROOT_CONTEXT, headers, fetchHeadersGetter);
}

/** The caller's trace context from a Node request's headers (the OpenAI-compatible edge). */
export function traceContextFromNodeHeaders(headers: IncomingHttpHeaders): Context {
  return propagation.extract(ROOT_CONTEXT, headers, nodeHeadersGetter);
}

/**
 * The headers that carry `context` to a vendor (`traceparent`, and `tracestate` when the caller sent
 * one); undefined when there is no valid span in it or no propagator writes any, so an untraced call
 * adds nothing to its request.
 */
export function traceHeadersFor(context: Context): Readonly<Record<string, string>> | undefined {
  const spanContext = trace.getSpanContext(context);
  if (spanContext === undefined || !isSpanContextValid(spanContext)) return undefined;
  const carrier: Record<string, string> = {};
  propagation.inject(context, carrier, recordSetter);
  for (const _ in carrier) return carrier;
  return undefined;
}
