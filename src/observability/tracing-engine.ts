/**
 * The request span: a `CompletionEngine` around the gateway's engine, so every call gets one span
 * whichever edge it came through (Connect, gRPC, gRPC-Web, the OpenAI-compatible HTTP API), unary or
 * streaming, served upstream or from the replay layer. The span is a child of the caller's trace context
 * (`CallContext.trace`, read by the edge from `traceparent`), starts when the call was received, and is
 * named and described per the GenAI conventions: `chat {requested model}` with the alias as
 * `gen_ai.request.model`, the vendor model that answered as `gen_ai.response.model`, tokens, the serving
 * provider, and `error.type` (the GatewayError reason) on failure. Its context replaces `trace` for the
 * engine below, so routing's attempt spans (attempt-span.ts) are its children.
 *
 * Kind SERVER rather than the conventions' CLIENT: to the caller's trace this is the server side of its
 * call; the attempts are the gateway's CLIENT spans to the vendors.
 *
 * With no SDK registered the span is the API's non-recording one: the wrapper then hands the engine's
 * promise or stream back untouched, so an untraced call pays for one span object and no more.
 */
import { INVALID_SPAN_CONTEXT, isSpanContextValid, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, type Span } from "@opentelemetry/api";
import {
  GatewayError,
  type CallContext,
  type CompletionEngine,
  type GatewayEvent,
  type GatewayRequest,
  type GatewayResult,
  type RouteRecord,
} from "../gateway/types.js";
import type { ProviderKind } from "../providers/registry.js";
import type { FinishReason } from "../providers/spec.js";
import {
  CHAT_OPERATION,
  ERROR_TYPE,
  GEN_AI_OPERATION_NAME,
  GEN_AI_PROVIDER_NAME,
  GEN_AI_REQUEST_MAX_TOKENS,
  GEN_AI_REQUEST_MODEL,
  GEN_AI_REQUEST_STREAM,
  GEN_AI_REQUEST_TEMPERATURE,
  GEN_AI_REQUEST_TOP_P,
  GEN_AI_RESPONSE_FINISH_REASONS,
  GEN_AI_RESPONSE_MODEL,
  GEN_AI_RESPONSE_TIME_TO_FIRST_CHUNK,
  genAiProviderName,
  MODELGATE_ANSWER_SOURCE,
  MODELGATE_ATTEMPTS,
  MODELGATE_CALLER_ID,
  MODELGATE_COST_MICRO_USD,
  MODELGATE_DEPLOYMENT,
  MODELGATE_PROVIDER,
  MODELGATE_REQUEST_ID,
  setUsageAttributes,
} from "./span-attributes.js";
import { tracer } from "./tracer.js";

export interface TracingEngineOptions {
  /** The vendor kind of a configured provider, by its config name; read per call, so reloads are seen. */
  providerKind(provider: string): ProviderKind | undefined;
}

/** Wraps `engine` so that each call has a request span; everything else passes through. */
export function createTracingEngine(engine: CompletionEngine, options: TracingEngineOptions): CompletionEngine {
  function start(request: GatewayRequest, context: CallContext, stream: boolean): Span {
    const parent = context.trace ?? ROOT_CONTEXT;
    const span = tracer.startSpan(`${CHAT_OPERATION} ${request.model}`, { kind: SpanKind.SERVER, startTime: context.receivedAt }, parent);
    if (span.isRecording()) {
      const { temperature, topP, maxOutputTokens } = request.sampling;
      span.setAttributes({
        [GEN_AI_OPERATION_NAME]: CHAT_OPERATION,
        [GEN_AI_REQUEST_MODEL]: request.model,
        [GEN_AI_REQUEST_STREAM]: stream,
        [MODELGATE_REQUEST_ID]: request.requestId,
      });
      if (temperature !== undefined) span.setAttribute(GEN_AI_REQUEST_TEMPERATURE, temperature);
      if (topP !== undefined) span.setAttribute(GEN_AI_REQUEST_TOP_P, topP);
      if (maxOutputTokens !== undefined) span.setAttribute(GEN_AI_REQUEST_MAX_TOKENS, maxOutputTokens);
    }
    const spanContext = span.spanContext();
    if (spanContext !== INVALID_SPAN_CONTEXT && isSpanContextValid(spanContext)) context.trace = trace.setSpan(parent, span);
    return span;
  }

  function describeRoute(span: Span, route: RouteRecord | undefined): void {
    if (route === undefined) return;
    const provider = route.provider ?? route.attempts.at(-1)?.provider;
    const kind = provider === undefined ? undefined : options.providerKind(provider);
    if (route.deployment !== undefined) span.setAttribute(MODELGATE_DEPLOYMENT, route.deployment);
    if (provider !== undefined) span.setAttribute(MODELGATE_PROVIDER, provider);
    if (kind !== undefined) span.setAttribute(GEN_AI_PROVIDER_NAME, genAiProviderName(kind));
    if (route.vendorModel !== undefined && route.deployment !== undefined) span.setAttribute(GEN_AI_RESPONSE_MODEL, route.vendorModel);
    span.setAttribute(MODELGATE_ATTEMPTS, route.attempts.length);
    span.setAttribute(MODELGATE_ANSWER_SOURCE, route.source ?? "upstream");
  }

  function succeeded(span: Span, context: CallContext, answer: Answer): void {
    describeRoute(span, answer.route);
    setUsageAttributes(span, answer.usage);
    span.setAttribute(GEN_AI_RESPONSE_FINISH_REASONS, [conventionFinishReason(answer.finishReason)]);
    if (answer.costMicroUsd !== undefined) span.setAttribute(MODELGATE_COST_MICRO_USD, answer.costMicroUsd);
    if (answer.timings.timeToFirstTokenMs !== undefined) {
      span.setAttribute(GEN_AI_RESPONSE_TIME_TO_FIRST_CHUNK, answer.timings.timeToFirstTokenMs / 1000);
    }
    end(span, context);
  }

  function failed(span: Span, context: CallContext, error: unknown): void {
    const reason = error instanceof GatewayError ? error.reason : "_OTHER";
    if (error instanceof GatewayError && error.failure !== undefined) {
      describeRoute(span, error.failure.route);
      setUsageAttributes(span, error.failure.usage);
    }
    span.setAttribute(ERROR_TYPE, reason);
    span.setStatus({ code: SpanStatusCode.ERROR, message: reason });
    end(span, context);
  }

  /** The caller is known only now: caller authentication runs after the edge opened the scope. */
  function end(span: Span, context: CallContext): void {
    const callerId = callerIdOf(context);
    if (callerId !== undefined) span.setAttribute(MODELGATE_CALLER_ID, callerId);
    span.end();
  }

  async function* traced(span: Span, context: CallContext, events: AsyncIterable<GatewayEvent>): AsyncGenerator<GatewayEvent, void, undefined> {
    let ended = false;
    try {
      for await (const event of events) {
        if (event.type === "fallback") {
          span.addEvent("modelgate.fallback", { from: event.fromDeployment, to: event.toDeployment, [ERROR_TYPE]: event.reason });
        } else if (event.type === "finish") {
          succeeded(span, context, event);
          ended = true;
        }
        yield event;
      }
    } catch (error) {
      if (!ended) failed(span, context, error);
      ended = true;
      throw error;
    } finally {
      // The consumer stopped reading before the end (its client went away).
      if (!ended) failed(span, context, new GatewayError("CANCELED", "the stream was not read to its end"));
    }
  }

  return {
    complete(request, context) {
      const span = start(request, context, false);
      const result = engine.complete(request, context);
      if (!span.isRecording()) return result;
      return result.then(
        (value: GatewayResult) => {
          succeeded(span, context, value);
          return value;
        },
        (error: unknown) => {
          failed(span, context, error);
          throw error;
        },
      );
    },
    stream(request, context) {
      const span = start(request, context, true);
      const events = engine.stream(request, context);
      return span.isRecording() ? traced(span, context, events) : events;
    },
    listModels: () => engine.listModels(),
    deploymentStats: (names) => engine.deploymentStats(names),
    close: () => engine.close(),
  };
}

type Answer = Pick<GatewayResult, "route" | "usage" | "finishReason" | "costMicroUsd" | "timings">;

/** The conventions spell finish reasons as OpenAI does (`tool_calls`, `content_filter`). */
function conventionFinishReason(reason: FinishReason): string {
  return reason.replace("-", "_");
}

/** The caller as caller authentication put it on the request scope; undefined for anonymous calls. */
function callerIdOf(context: CallContext): string | undefined {
  const id = (context as { caller?: { id?: unknown } }).caller?.id;
  return typeof id === "string" ? id : undefined;
}
