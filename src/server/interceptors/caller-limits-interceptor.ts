/**
 * The caller's key policy on a completion: the model must be one the key may call (PERMISSION_DENIED),
 * and the call must fit its requests and tokens per minute, budgets and concurrent streams
 * (RESOURCE_EXHAUSTED with QuotaFailure and RetryInfo). Tokens are reserved before the call (estimated
 * input + `max_output_tokens`) and settled to the real usage when it ends: a stream at its end, a failed
 * or canceled one on the usage reported so far. Other RPCs (ListModels, stats) only need a valid key.
 */
import { createAsyncIterable } from "@connectrpc/connect/protocol";
import type { Interceptor } from "@connectrpc/connect";
import type { CompleteRequest } from "../../../gen/modelgate/v1/completion_pb.js";
import type { StreamCompleteRequest } from "../../../gen/modelgate/v1/stream_pb.js";
import { settlementOf, type CallerGate } from "../../callers/caller-gate.js";
import { answerAfterAdmission, eventsAfterAdmission } from "../../gateway/after-admission.js";
import { GatewayError } from "../../gateway/gateway-error.js";
import { authenticatedCallerKey } from "./caller-key-context.js";
import { observeCall, type AnyNext, type AnyRequest, type AnyResponse } from "./observe-call.js";
import { requestScopeKey } from "./request-scope-key.js";

type CompletionMessage = CompleteRequest | StreamCompleteRequest;

const completionMethods = new Set(["Complete", "StreamComplete"]);
/** Per message: the chat format's framing (estimate-input-tokens.ts uses the same). */
const PER_MESSAGE_TOKENS = 4;

/**
 * A cheap upper-leaning estimate of the input: 1 token per 4 characters of text and tool data. The
 * reservation is corrected to the real count when the call ends, so speed matters more than accuracy.
 */
export function estimateInputTokens(message: CompletionMessage): number {
  let characters = 0;
  for (const chat of message.messages) {
    for (const part of chat.parts) if (part.part.case === "text") characters += part.part.value.length;
    for (const call of chat.toolCalls) characters += call.argumentsJson.length + call.name.length;
  }
  for (const tool of message.tools) characters += tool.description.length + tool.parametersJsonSchema.length + tool.name.length;
  return Math.ceil(characters / 4) + message.messages.length * PER_MESSAGE_TOKENS;
}

/** The one request message, and a request that hands it on (a server stream's input is an iterable). */
async function takeMessage(request: AnyRequest): Promise<[CompletionMessage, AnyRequest]> {
  if (!request.stream) return [request.message as CompletionMessage, request];
  for await (const message of request.message) {
    return [message as CompletionMessage, { ...request, message: createAsyncIterable([message]) }];
  }
  throw new GatewayError("INVALID_REQUEST", "the request has no message");
}

/** `next`'s answer once `admitted`; the call starts at once (a stream's first message is asked for now). */
async function answerAfter(admitted: Promise<void>, next: AnyNext, request: AnyRequest): Promise<AnyResponse> {
  if (!request.stream) return answerAfterAdmission(admitted, next(request));
  const response = await next(request);
  return response.stream ? { ...response, message: eventsAfterAdmission(admitted, response.message) } : response;
}

export function callerLimitsInterceptor(gate: CallerGate): Interceptor {
  return (next) => async (request) => {
    const caller = request.contextValues.get(authenticatedCallerKey);
    if (caller === undefined || !completionMethods.has(request.method.name)) return next(request);
    const [message, forwarded] = await takeMessage(request);
    const scope = request.contextValues.get(requestScopeKey);
    const admission = gate.admit(caller, {
      model: message.model,
      inputTokens: estimateInputTokens(message),
      maxOutputTokens: message.sampling?.maxOutputTokens,
      stream: request.stream,
      deadlineAt: scope?.deadlineAt ?? Date.now() + 600_000,
    });
    const admitted = admission.then(() => undefined);
    admitted.catch(() => {});
    if (scope !== undefined) scope.admitted = admitted;
    else await admitted;
    return observeCall((call) => answerAfter(admitted, next as AnyNext, call), forwarded, ({ error }) => {
      const used = settlementOf(scope?.outcome ?? {}, error);
      admission.then((pass) => pass.settle(used), () => {});
      return error;
    }) as never;
  };
}
