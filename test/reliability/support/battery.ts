/**
 * What the battery's tests share: a config around the vendor simulator (one provider per vendor wire),
 * requests that carry their own id, a bounded-concurrency runner, and the outcome of a call as a client
 * sees it over connect-node (Connect, gRPC or gRPC-Web), every event and the terminal status.
 */
import { ConnectError, Code, type Client } from "@connectrpc/connect";
import type { GatewayService } from "../../../gen/modelgate/v1/gateway_service_pb.js";
import type { StreamCompleteResponse } from "../../../gen/modelgate/v1/stream_pb.js";
import type { CompleteResponse } from "../../../gen/modelgate/v1/completion_pb.js";
import type { Simulator, Vendor } from "../../../src/simulator/index.js";
import { streamedText, userText } from "../../e2e/harness.js";
import { gatewayClient, type ProtocolName } from "../../server/clients.js";

export const VENDOR_PROVIDER: Record<Vendor, string> = {
  openai: "sim-openai",
  anthropic: "sim-anthropic",
  gemini: "sim-gemini",
  ollama: "sim-ollama",
};

/** One provider per simulator wire; `extra` is merged into each (timeouts, limits). */
export function simProviders(sim: Simulator, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    "sim-openai": { kind: "openai", baseUrl: sim.baseUrl("openai"), apiKey: "sim-key", ...extra },
    "sim-anthropic": { kind: "anthropic", baseUrl: sim.baseUrl("anthropic"), apiKey: "sim-key", ...extra },
    "sim-gemini": { kind: "gemini", baseUrl: sim.baseUrl("gemini"), apiKey: "sim-key", ...extra },
    "sim-ollama": { kind: "ollama", baseUrl: sim.baseUrl("ollama"), ...extra },
  };
}

/** A deployment of `model` (the simulator's model name, which selects its rules) on `vendor`. */
export function simDeployment(vendor: Vendor, model: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { provider: VENDOR_PROVIDER[vendor], model, ...extra };
}

/** The protocols a battery spreads its calls over: Connect on HTTP/1.1 and h2c, gRPC-Web, gRPC. */
export const PROTOCOLS: readonly ProtocolName[] = ["connect-http1", "connect-h2c", "grpc-web-http1", "grpc-h2c"];

export type GatewayClient = Client<typeof GatewayService>;

/** One connect-node client per protocol for the gateway at `url`. */
export function clientsFor(url: string): Record<ProtocolName, GatewayClient> {
  return Object.fromEntries(PROTOCOLS.map((protocol) => [protocol, gatewayClient(protocol, url)])) as Record<ProtocolName, GatewayClient>;
}

/** The marker a prompt carries so the simulator's record of it can be matched to its request. */
export function marker(requestId: string): string {
  return `[rid:${requestId}]`;
}

/** The request id in a recorded upstream body, from its marker. */
export function requestIdIn(body: unknown): string | undefined {
  return /\[rid:([^\]]+)\]/.exec(typeof body === "string" ? body : JSON.stringify(body))?.[1];
}

/** A request to `model` whose prompt carries `requestId`'s marker; the request id is set too. */
export function ask(model: string, requestId: string, text = "Hello") {
  return { model, requestId, messages: [userText(`${text} ${marker(requestId)}`)] };
}

/** A call as the client saw it: OK or the error's code, what arrived, and when. */
export interface CallOutcome {
  code: Code | "OK";
  message: string;
  /** Unary: the response. */
  response?: CompleteResponse;
  /** Stream: every event in order. */
  events: StreamCompleteResponse[];
  startedAt: number;
  endedAt: number;
  /** Date.now() when the test canceled the call, if it did. */
  canceledAt?: number;
  /** Date.now() of the first content event (stream). */
  firstContentAt?: number;
}

function failed(error: unknown): { code: Code; message: string } {
  const connectError = ConnectError.from(error);
  return { code: connectError.code, message: connectError.rawMessage };
}

/** A unary Complete call. */
export async function callUnary(client: GatewayClient, request: ReturnType<typeof ask>, timeoutMs?: number): Promise<CallOutcome> {
  const startedAt = Date.now();
  try {
    const response = await client.complete(request, { timeoutMs });
    return { code: "OK", message: "", response, events: [], startedAt, endedAt: Date.now() };
  } catch (error) {
    return { ...failed(error), events: [], startedAt, endedAt: Date.now() };
  }
}

export interface StreamCallOptions {
  timeoutMs?: number;
  /** Called for each event; return "cancel" to abort the call right there (the client goes away). */
  onEvent?: (event: StreamCompleteResponse, index: number) => "cancel" | void;
}

/** A StreamComplete call read to its end (or canceled by `onEvent`). */
export async function callStream(client: GatewayClient, request: ReturnType<typeof ask>, options: StreamCallOptions = {}): Promise<CallOutcome> {
  const startedAt = Date.now();
  const controller = new AbortController();
  const events: StreamCompleteResponse[] = [];
  let canceledAt: number | undefined;
  let firstContentAt: number | undefined;
  try {
    for await (const event of client.streamComplete(request, { timeoutMs: options.timeoutMs, signal: controller.signal })) {
      events.push(event);
      if (firstContentAt === undefined && (event.event.case === "textDelta" || event.event.case === "toolCallDelta" || event.event.case === "reasoningDelta")) {
        firstContentAt = Date.now();
      }
      if (options.onEvent?.(event, events.length - 1) === "cancel") {
        canceledAt = Date.now();
        controller.abort();
      }
    }
    return { code: "OK", message: "", events, startedAt, endedAt: Date.now(), canceledAt, firstContentAt };
  } catch (error) {
    return { ...failed(error), events, startedAt, endedAt: Date.now(), canceledAt, firstContentAt };
  }
}

/** The text a call delivered: the response's, or the stream's deltas joined. */
export function deliveredText(outcome: CallOutcome): string {
  return outcome.response?.text ?? streamedText(outcome.events);
}

/** The route record of a successful call (unary response or stream finish). */
export function routeOf(outcome: CallOutcome) {
  if (outcome.response !== undefined) return outcome.response.route;
  const finish = outcome.events.find((event) => event.event.case === "finish");
  return finish?.event.case === "finish" ? finish.event.value.route : undefined;
}

/** Runs `task(0..count-1)` with at most `concurrency` in flight; resolves with the results in index order. */
export async function runBounded<T>(count: number, concurrency: number, task: (index: number) => Promise<T>): Promise<T[]> {
  const results = new Array<T>(count);
  let next = 0;
  const worker = async (): Promise<void> => {
    for (let index = next++; index < count; index = next++) results[index] = await task(index);
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
  return results;
}

/** Waits until `condition()` holds or `timeoutMs` passes; returns whether it held. */
export async function waitFor(condition: () => boolean, timeoutMs: number, stepMs = 20): Promise<boolean> {
  const until = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() >= until) return false;
    await new Promise((resolve) => setTimeout(resolve, stepMs));
  }
  return true;
}

export { Code };
