/**
 * PII redaction as one layer around the engine: the request is final here (both edges have converted
 * and validated it) and nothing has left yet, whichever edge it came through. It sits outside the replay
 * layer, so a run's fingerprint, its log in Redis and the exact cache only ever see the redacted request.
 *
 * A request is redacted when its model name is in `redaction.aliases` or its caller's policy sets
 * `redactPii`. The counts by type go into the call's scope (`outcome.redactions`, so the call record);
 * `{}` there means the request was checked and nothing was found.
 */
import type { RedactionConfig } from "../config/schema.js";
import type { Caller, CallOutcome } from "../gateway/request-scope.js";
import type { CallContext, CompletionEngine, GatewayRequest } from "../gateway/types.js";
import { piiTypes, type PiiType } from "./detectors.js";
import { redactRequest } from "./redact-request.js";

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

  const prepare = (request: GatewayRequest, context: CallContext): GatewayRequest => {
    const config = options.config();
    const scope = context as CallContext & ScopeLike;
    const wanted = (config?.aliases.includes(request.model) ?? false) || options.callerRedacts(scope.caller);
    if (!wanted) return request;
    if (config?.types !== typesFor) {
      typesFor = config?.types;
      types = typesFor === undefined ? allTypes : new Set(typesFor);
    }
    const redacted = redactRequest(request, types);
    scope.note?.({ redactions: redacted.counts });
    return redacted.request;
  };

  return {
    complete: (request, context) => engine.complete(prepare(request, context), context),
    stream: (request, context) => engine.stream(prepare(request, context), context),
    listModels: () => engine.listModels(),
    deploymentStats: (names) => engine.deploymentStats(names),
    close: () => engine.close(),
  };
}
