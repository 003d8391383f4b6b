/**
 * The OpenAI-compatible HTTP edge, a plain-HTTP route beside the Connect service on the same port:
 * `POST /v1/chat/completions` (unary and SSE) and `GET /v1/models[/{model}]`. Like the Connect service
 * it opens a `RequestScope`, validates with the contract's rules, runs the same engine and maps
 * `GatewayError` reasons to its own wire (openai-error.ts); nothing here fakes a connect context.
 *
 * A stream's HTTP status waits for the engine's `start` (the commit to a deployment): every failure
 * before it, fallbacks included, is an ordinary error answer with its status; a failure after it is an
 * `data: {"error": ...}` event and the stream closes without `[DONE]`, which the SDK raises as APIError.
 * The client going away aborts the scope, and with it the upstream call.
 */
import { once } from "node:events";
import type { Writable } from "node:stream";
import type { Logger } from "pino";
import type { ServerConfig } from "../../config/schema.js";
import { openRequestScope, type RequestScope } from "../../gateway/request-scope.js";
import { GatewayError, type CompletionEngine, type RouteRecord } from "../../gateway/types.js";
import { traceContextFromNodeHeaders } from "../../observability/trace-context.js";
import { abortAwareError, gatewayErrorForAbort } from "../interceptors/abort-reasons.js";
import type { ExtraRoutes, NodeRequest, NodeResponse } from "../node-handler.js";
import { pickRequestId, requestIdHeader } from "../request-id.js";
import { toChatCompletionCall, type ChatCompletionCall } from "./convert-chat-request.js";
import { createChunkEncoder, toChatCompletion, type CompletionIdentity } from "./convert-chat-response.js";
import { allowAnonymous, type HttpAuthenticator } from "./http-authenticator.js";
import { toOpenAIModels } from "./list-models.js";
import { createCallRecorder, type CallRecorder } from "../../observability/call-recorder.js";
import { settlementOf, type CallPass, type CallToAdmit } from "../../callers/caller-gate.js";
import type { Caller } from "../../gateway/request-scope.js";
import { estimateInputTokens } from "../interceptors/caller-limits-interceptor.js";
import { answerAfterAdmission, eventsAfterAdmission } from "../../gateway/after-admission.js";
import { logOpenAICall } from "./log-openai-call.js";
import { toOpenAIError } from "./openai-error.js";
import { readJsonBody } from "./read-json-body.js";

export const chatCompletionsPath = "/v1/chat/completions";
export const modelsPath = "/v1/models";

/** Whether a path is a completion of this edge (graceful shutdown waits for these like RPCs). */
export function isOpenAICompletionPath(path: string): boolean {
  return path === chatCompletionsPath;
}

export interface OpenAIRoutesOptions {
  engine: CompletionEngine;
  config: Pick<ServerConfig, "maxMessageBytes" | "maxMessages" | "defaultDeadlineMs" | "maxDeadlineMs" | "logPrompts">;
  logger: Logger;
  /** True while the server drains: new completions are refused with 503 SHUTTING_DOWN. */
  isDraining?: () => boolean;
  /** Aborted when the grace period of a shutdown is over: running calls stop. */
  shutdownSignal?: AbortSignal;
  /** Caller authentication; anonymous by default (http-authenticator.ts). */
  authenticate?: HttpAuthenticator;
  /**
   * The caller's limits and budgets for a completion (the Connect edge's caller-limits interceptor does
   * the same), checked while the call goes on (`CallContext.admitted`); the pass is settled once when
   * the call ends. Unlimited when absent.
   */
  admit?: (caller: Caller | undefined, call: CallToAdmit) => Promise<CallPass>;
  /** Where each finished call's record goes (the Connect edge's recorder); the log line alone by default. */
  recorder?: CallRecorder;
  now?: () => number;
}

const jsonHeaders = { "content-type": "application/json", "cache-control": "no-store" };
const sseHeaders = { "content-type": "text/event-stream; charset=utf-8", "cache-control": "no-cache", "x-accel-buffering": "no" };

export function createOpenAIRoutes(options: OpenAIRoutesOptions): ExtraRoutes {
  const now = options.now ?? Date.now;
  const authenticate = options.authenticate ?? allowAnonymous;
  const recorder = options.recorder ?? createCallRecorder({ logger: options.logger });

  return function openAIRoutes(request, response) {
    const path = (request.url ?? "").split("?", 1)[0];
    if (path === chatCompletionsPath) {
      if (request.method === "POST") void serveChatCompletion(request, response, path);
      else {
        request.resume();
        sendMethodNotAllowed(response, "POST");
      }
      return true;
    }
    if (path === modelsPath || path.startsWith(`${modelsPath}/`)) {
      request.resume();
      if (request.method !== "GET") sendMethodNotAllowed(response, "GET");
      else void serveModels(request, response, path);
      return true;
    }
    return false;
  };

  async function serveModels(request: NodeRequest, response: NodeResponse, path: string): Promise<void> {
    try {
      // The AUTH hook: the same authenticator as completions, so a key that may not call may not list.
      await authenticate({ method: request.method ?? "GET", path, headers: request.headers }, AbortSignal.timeout(options.config.defaultDeadlineMs));
      const models = toOpenAIModels(options.engine.listModels());
      if (path === modelsPath) return sendJson(response, 200, models);
      const name = decodeURIComponent(path.slice(modelsPath.length + 1));
      const model = models.data.find((entry) => entry.id === name);
      if (model === undefined) throw new GatewayError("UNKNOWN_MODEL", `no model named "${name}"`);
      sendJson(response, 200, model);
    } catch (error) {
      sendError(response, error);
    }
  }

  async function serveChatCompletion(request: NodeRequest, response: NodeResponse, path: string): Promise<void> {
    const requestId = pickRequestId((response.getHeader(requestIdHeader) as string | undefined) ?? request.headers[requestIdHeader]);
    // The caller's id is its usable x-request-id header (the node handler echoed it); otherwise it was generated.
    const callerHeader = request.headers[requestIdHeader];
    const requestIdFromCaller = requestId === (Array.isArray(callerHeader) ? callerHeader[0] : callerHeader);
    response.setHeader(requestIdHeader, requestId);
    const cancel = new AbortController();
    const onClientGone = (): void => {
      if (!response.writableFinished) cancel.abort(new GatewayError("CANCELED", "the client went away"));
    };
    response.once("close", onClientGone);
    const shutdown = options.shutdownSignal;
    const onShutdown = (): void => cancel.abort(shutdown?.reason);
    shutdown?.addEventListener("abort", onShutdown, { once: true });
    const scope = openRequestScope({
      method: "ChatCompletions",
      requestId,
      timeoutMs: timeoutOf(request, options.config),
      cancel: cancel.signal,
      reasonFor: gatewayErrorForAbort,
      logger: options.logger,
      now,
    });
    scope.trace = traceContextFromNodeHeaders(request.headers);
    const startedAt = now();
    let failure: unknown;
    let admission: Promise<CallPass> | undefined;
    try {
      if (options.isDraining?.() === true || shutdown?.aborted === true) throw new GatewayError("SHUTTING_DOWN", "the gateway is shutting down");
      // The AUTH hook: the one place this edge authenticates (caller keys plug in through `authenticate`).
      scope.caller = await authenticate({ method: "POST", path, headers: request.headers }, scope.signal);
      const body = await readJsonBody(request, response, options.config.maxMessageBytes);
      const call = toChatCompletionCall(body, {
        maxMessages: options.config.maxMessages,
        requestId,
        requestIdFromCaller,
      });
      scope.note({ model: call.request.model });
      admission = options.admit?.(scope.caller, {
        model: call.request.model,
        inputTokens: estimateInputTokens(call.contract),
        maxOutputTokens: call.request.sampling.maxOutputTokens,
        stream: call.stream,
        deadlineAt: scope.deadlineAt,
      });
      if (admission !== undefined) {
        // Checked while the call goes on, as on the Connect edge: the attempt loop waits for it before any
        // vendor call, and the answer waits for it below.
        scope.admitted = admission.then(() => undefined);
        scope.admitted.catch(() => {});
      }
      if (options.config.logPrompts) scope.logger().debug({ messages: call.request.messages, tools: call.request.tools }, "prompt");
      if (call.ignoredParams.length > 0) response.setHeader("x-modelgate-ignored-params", call.ignoredParams.join(", "));
      const identity: CompletionIdentity = { id: `chatcmpl-${requestId}`, created: Math.floor(scope.receivedAt / 1000), model: call.request.model };
      if (call.stream) await serveStream(call, identity, scope, response);
      else await serveUnary(call, identity, scope, response);
    } catch (error) {
      failure = abortAwareError(error, scope.signal);
      if (!response.headersSent) sendError(response, failure);
      else if (!response.writableEnded) endStreamWithError(response, failure);
    } finally {
      scope.close();
      shutdown?.removeEventListener("abort", onShutdown);
      const used = settlementOf(scope.outcome, failure);
      admission?.then((pass) => pass.settle(used), () => {});
      logOpenAICall(options.logger, recorder, scope, { latencyMs: now() - startedAt, status: response.statusCode, error: failure });
    }
  }

  async function serveUnary(call: ChatCompletionCall, identity: CompletionIdentity, scope: RequestScope, response: NodeResponse): Promise<void> {
    const result = await answerAfterAdmission(scope.admitted, options.engine.complete(call.request, scope));
    if (options.config.logPrompts) scope.logger().debug({ text: result.text, toolCalls: result.toolCalls }, "completion");
    scope.note({ usage: result.usage, costMicroUsd: result.costMicroUsd, route: result.route });
    setRouteHeaders(response, result.route, result.costMicroUsd);
    sendJson(response, 200, toChatCompletion(result, identity));
  }

  async function serveStream(call: ChatCompletionCall, identity: CompletionIdentity, scope: RequestScope, response: NodeResponse): Promise<void> {
    const encoder = createChunkEncoder(identity, call.includeUsage);
    const body: Writable = response;
    const send = async (data: string): Promise<void> => {
      if (response.destroyed) throw scope.signal.reason ?? new GatewayError("CANCELED", "the client went away");
      // A client that stops reading holds the stream here, not in our memory: one chunk at most waits.
      if (!body.write(`data: ${data}\n\n`)) await once(body, "drain", { signal: scope.signal });
    };
    let finished = false;
    for await (const event of eventsAfterAdmission(scope.admitted, options.engine.stream(call.request, scope))) {
      if (event.type === "start") {
        scope.note({ deployment: event.deployment, provider: event.provider });
        response.setHeader("x-modelgate-deployment", event.deployment);
        response.writeHead(200, sseHeaders);
      }
      if (event.type === "finish") {
        scope.note({ usage: event.usage, costMicroUsd: event.costMicroUsd, route: event.route });
        finished = true;
      }
      for (const chunk of encoder.encode(event)) await send(JSON.stringify(chunk));
    }
    // The contract: a stream without finish failed. An engine that ends silently is a bug.
    if (!finished) throw new GatewayError("INTERNAL", "the stream ended without a finish event");
    await send("[DONE]");
    response.end();
  }
}

/**
 * The call's budget: the `openai` SDK's own timeout (`x-stainless-timeout`, seconds) cut to
 * `maxDeadlineMs` (the SDK always sends its 10-minute default, so a longer one is clamped rather than
 * refused), else `defaultDeadlineMs`.
 */
function timeoutOf(request: NodeRequest, config: Pick<ServerConfig, "defaultDeadlineMs" | "maxDeadlineMs">): number {
  const header = request.headers["x-stainless-timeout"];
  const seconds = Number(Array.isArray(header) ? header[0] : header);
  if (header === undefined || !Number.isFinite(seconds) || seconds <= 0) return config.defaultDeadlineMs;
  return Math.min(seconds * 1000, config.maxDeadlineMs);
}

function setRouteHeaders(response: NodeResponse, route: RouteRecord, costMicroUsd: number | undefined): void {
  if (route.deployment !== undefined) response.setHeader("x-modelgate-deployment", route.deployment);
  response.setHeader("x-modelgate-attempts", String(route.attempts.length));
  response.setHeader("x-modelgate-source", route.source ?? "upstream");
  if (costMicroUsd !== undefined) response.setHeader("x-modelgate-cost-micro-usd", String(costMicroUsd));
}

function sendJson(response: NodeResponse, status: number, body: unknown): void {
  if (response.destroyed || response.writableEnded) return;
  response.writeHead(status, jsonHeaders);
  response.end(JSON.stringify(body));
}

function sendError(response: NodeResponse, error: unknown): void {
  const { status, body, headers } = toOpenAIError(error);
  if (error instanceof GatewayError && error.failure !== undefined) setRouteHeaders(response, error.failure.route, error.failure.costMicroUsd);
  if (response.destroyed || response.writableEnded) return;
  for (const [name, value] of Object.entries(headers)) response.setHeader(name, value);
  sendJson(response, status, body);
}

/** After the stream began: an error event, then the end, never `[DONE]`. */
function endStreamWithError(response: NodeResponse, error: unknown): void {
  if (response.destroyed) return;
  const { body } = toOpenAIError(error);
  response.end(`data: ${JSON.stringify(body)}\n\n`);
}

function sendMethodNotAllowed(response: NodeResponse, allowed: string): void {
  response.setHeader("allow", allowed);
  sendJson(response, 405, { error: { message: `use ${allowed}`, type: "invalid_request_error", param: null, code: "method_not_allowed" } });
}
