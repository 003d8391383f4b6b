/**
 * The span of one upstream attempt: a CLIENT span, child of the request span, named like a GenAI
 * client call (`chat {vendor model}`), with the deployment, its retry number and, at the end, its
 * outcome, error type, time to first chunk and the tokens the vendor reported. Routing's attempt starts
 * it and the attempt ledger ends it with the attempt's one record.
 */
import { INVALID_SPAN_CONTEXT, isSpanContextValid, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, type Context, type Span } from "@opentelemetry/api";
import type { AttemptOutcome, ErrorReason } from "../gateway/types.js";
import type { ProviderKind } from "../providers/registry.js";
import type { Usage } from "../providers/spec.js";
import {
  CHAT_OPERATION,
  ERROR_TYPE,
  GEN_AI_OPERATION_NAME,
  GEN_AI_PROVIDER_NAME,
  GEN_AI_REQUEST_MODEL,
  GEN_AI_RESPONSE_TIME_TO_FIRST_CHUNK,
  genAiProviderName,
  MODELGATE_ATTEMPT_OUTCOME,
  MODELGATE_ATTEMPT_RETRY,
  MODELGATE_ATTEMPT_WAITED_MS,
  MODELGATE_DEPLOYMENT,
  MODELGATE_PROVIDER,
  setUsageAttributes,
} from "./span-attributes.js";
import { traceHeadersFor } from "./trace-context.js";
import { tracer } from "./tracer.js";

export interface AttemptSpanStart {
  deployment: string;
  provider: string;
  providerKind: ProviderKind;
  vendorModel: string;
  retry: number;
}

export interface AttemptSpan {
  span: Span;
  /** What the vendor request carries (`traceparent`, `tracestate`); undefined when the call is not traced. */
  headers: Readonly<Record<string, string>> | undefined;
}

/** Starts an attempt's span under `parent` (the request span's context; the root context without one). */
export function startAttemptSpan(parent: Context | undefined, start: AttemptSpanStart): AttemptSpan {
  const parentContext = parent ?? ROOT_CONTEXT;
  const span = tracer.startSpan(
    `${CHAT_OPERATION} ${start.vendorModel}`,
    { kind: SpanKind.CLIENT },
    parentContext,
  );
  if (span.isRecording()) {
    span.setAttributes({
      [GEN_AI_OPERATION_NAME]: CHAT_OPERATION,
      [GEN_AI_PROVIDER_NAME]: genAiProviderName(start.providerKind),
      [GEN_AI_REQUEST_MODEL]: start.vendorModel,
      [MODELGATE_DEPLOYMENT]: start.deployment,
      [MODELGATE_PROVIDER]: start.provider,
      [MODELGATE_ATTEMPT_RETRY]: start.retry,
    });
  }
  // A call in no trace (no SDK and no caller's context) spends nothing more on it.
  const spanContext = span.spanContext();
  if (spanContext === INVALID_SPAN_CONTEXT || !isSpanContextValid(spanContext)) return { span, headers: undefined };
  return { span, headers: traceHeadersFor(trace.setSpan(parentContext, span)) };
}

export interface AttemptSpanEnd {
  outcome: AttemptOutcome;
  reason?: ErrorReason;
  timeToFirstTokenMs?: number;
  usage?: Usage;
  waitedForConnectionMs: number;
}

export function endAttemptSpan(span: Span, end: AttemptSpanEnd): void {
  if (!span.isRecording()) return;
  span.setAttribute(MODELGATE_ATTEMPT_OUTCOME, end.outcome);
  if (end.timeToFirstTokenMs !== undefined) span.setAttribute(GEN_AI_RESPONSE_TIME_TO_FIRST_CHUNK, end.timeToFirstTokenMs / 1000);
  if (end.waitedForConnectionMs > 0) span.setAttribute(MODELGATE_ATTEMPT_WAITED_MS, end.waitedForConnectionMs);
  setUsageAttributes(span, end.usage);
  if (end.outcome !== "succeeded") {
    const errorType = end.reason ?? "_OTHER";
    span.setAttribute(ERROR_TYPE, errorType);
    span.setStatus({ code: SpanStatusCode.ERROR, message: errorType });
  }
  span.end();
}
