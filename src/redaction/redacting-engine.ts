/**
 * PII redaction as one layer around the engine: the request is final here (both edges have converted
 * and validated it) and nothing has left yet, whichever edge it came through. It sits outside the replay
 * layer, so a run's fingerprint, its log in Redis and the exact cache only ever see the redacted request.
 *
 * A request is redacted when its model name is in `redaction.aliases` or its caller's policy sets
 * `redactPii`. The counts by type go into the call's scope (`outcome.redactions`, so the call record);
 * `{}` there means the request was checked and nothing was found.
 *
 * A request with more than `SYNC_CONTENT_CHARS` of content is redacted in slices (`redactRequestInSlices`),
 * so a megabyte of adversarial text never holds the event loop for more than a few milliseconds; smaller
 * ones, nearly all, in one go with no added turn of the event loop.
 */
import type { RedactionConfig } from "../config/schema.js";
import type { Caller, CallOutcome } from "../gateway/request-scope.js";
import type { CallContext, CompletionEngine, GatewayEvent, GatewayRequest } from "../gateway/types.js";
import { piiTypes, type PiiType } from "./detectors.js";
import { redactableChars, redactRequest, redactRequestInSlices, SYNC_CONTENT_CHARS, type RedactedRequest } from "./redact-request.js";

export interface RedactingEngineOptions {
  /** The serving config's `redaction` section (read per call, so reloads are seen). */
  config(): RedactionConfig | undefined;
  /** Whether this caller's key or token policy asks for redaction. */
  callerRedacts(caller: Caller | undefined): boolean;
}

/** What an edge's RequestScope offers beyond the CallContext; absent for a bare context. */
interface ScopeLike {
  caller?: Caller;
  note?(update: CallOutcome): void;
}

const allTypes: ReadonlySet<PiiType> = new Set(piiTypes);

export function createRedactingEngine(engine: CompletionEngine, options: RedactingEngineOptions): CompletionEngine {
  let typesFor: RedactionConfig["types"];
  let types = allTypes;

  /** The types to redact in this call, or undefined when it is not redacted. */
  const typesToRedact = (request: GatewayRequest, context: CallContext): ReadonlySet<PiiType> | undefined => {
    const config = options.config();
    const wanted = (config?.aliases.includes(request.model) ?? false) || options.callerRedacts((context as CallContext & ScopeLike).caller);
    if (!wanted) return undefined;
    if (config?.types !== typesFor) {
      typesFor = config?.types;
      types = typesFor === undefined ? allTypes : new Set(typesFor);
    }
    return types;
  };
  const noted = (context: CallContext, redacted: RedactedRequest): GatewayRequest => {
    (context as CallContext & ScopeLike).note?.({ redactions: redacted.counts });
    return redacted.request;
  };
  const isSmall = (request: GatewayRequest): boolean => redactableChars(request) <= SYNC_CONTENT_CHARS;

  async function* streamRedactedInSlices(request: GatewayRequest, redacted: ReadonlySet<PiiType>, context: CallContext): AsyncIterable<GatewayEvent> {
    const ready = noted(context, await redactRequestInSlices(request, redacted, context.signal));
    yield* engine.stream(ready, context);
  }

  return {
    complete: (request, context) => {
      const redacted = typesToRedact(request, context);
      if (redacted === undefined) return engine.complete(request, context);
      if (isSmall(request)) return engine.complete(noted(context, redactRequest(request, redacted)), context);
      return redactRequestInSlices(request, redacted, context.signal).then((result) => engine.complete(noted(context, result), context));
    },
    stream: (request, context) => {
      const redacted = typesToRedact(request, context);
      if (redacted === undefined) return engine.stream(request, context);
      if (isSmall(request)) return engine.stream(noted(context, redactRequest(request, redacted)), context);
      // Inside the stream, so nothing starts (and nothing can reject unobserved) before it is read.
      return streamRedactedInSlices(request, redacted, context);
    },
    listModels: () => engine.listModels(),
    deploymentStats: (names) => engine.deploymentStats(names),
    close: () => engine.close(),
  };
}
