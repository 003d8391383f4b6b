/**
 * OpenTelemetry traces from the real gateway process (src/main.ts) with the vendor simulator behind it
 * and a real OTLP/HTTP receiver started here: every call, on every edge, unary and streaming, is one
 * request span under the caller's `traceparent`, with one child span per upstream attempt (a fallback
 * gives two), and each vendor request carries its attempt's trace context. Spans hold no prompt text and
 * no key. A gateway without the `telemetry` section imports the OpenTelemetry API and no SDK package.
 */
import { createHash, randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, existsSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { GatewayService } from "../../gen/modelgate/v1/gateway_service_pb.js";
import { startSimulator, type RecordedRequest, type Simulator } from "../../src/simulator/index.js";
import { startReplica, writeConfig, type Replica } from "../redis/replicas.js";
import { pollUntil, userText } from "./harness.js";

const PROMPT = "my secret prompt 4711";
const CALLER_KEY = "mg-test-caller-key-0123456789";
const PROVIDER_KEY = "sk-canary-key-0123456789abcdef";
const recordImports = join(import.meta.dirname, "support", "record-imports.mjs");

/** OTLP span kinds (SPAN_KIND_SERVER, SPAN_KIND_CLIENT) and the error status code. */
const SERVER = 2;
const CLIENT = 3;
const STATUS_ERROR = 2;

interface ReceivedSpan {
  traceId: string;
  spanId: string;
  parentSpanId: string;
  name: string;
  kind: number;
  attributes: Record<string, unknown>;
  status: { code?: number; message?: string };
  serviceName: unknown;
}

interface OtlpReceiver {
  url: string;
  spans: ReceivedSpan[];
  contentTypes: string[];
  authorizations: (string | undefined)[];
  close(): Promise<void>;
}

type OtlpValue = { stringValue?: string; intValue?: string | number; doubleValue?: number; boolValue?: boolean; arrayValue?: { values?: OtlpValue[] } };
type OtlpAttribute = { key: string; value: OtlpValue };

function valueOf(value: OtlpValue): unknown {
  if (value.stringValue !== undefined) return value.stringValue;
  if (value.intValue !== undefined) return Number(value.intValue);
  if (value.doubleValue !== undefined) return value.doubleValue;
  if (value.boolValue !== undefined) return value.boolValue;
  if (value.arrayValue !== undefined) return (value.arrayValue.values ?? []).map(valueOf);
  return undefined;
}

function attributesOf(list: OtlpAttribute[] | undefined): Record<string, unknown> {
  return Object.fromEntries((list ?? []).map((attribute) => [attribute.key, valueOf(attribute.value)]));
}

/** A collector's OTLP/HTTP traces endpoint in miniature: accepts JSON exports and keeps their spans. */
async function startOtlpReceiver(): Promise<OtlpReceiver> {
  const spans: ReceivedSpan[] = [];
  const contentTypes: string[] = [];
  const authorizations: (string | undefined)[] = [];
  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => {
      if (request.method !== "POST" || request.url !== "/v1/traces") {
        response.writeHead(404).end();
        return;
      }
      contentTypes.push(String(request.headers["content-type"]));
      authorizations.push(request.headers.authorization);
      const body = JSON.parse(Buffer.concat(chunks).toString("utf8")) as {
        resourceSpans?: {
          resource?: { attributes?: OtlpAttribute[] };
          scopeSpans?: { spans?: { traceId: string; spanId: string; parentSpanId?: string; name: string; kind: number; attributes?: OtlpAttribute[]; status?: { code?: number; message?: string } }[] }[];
        }[];
      };
      for (const resourceSpans of body.resourceSpans ?? []) {
        const serviceName = attributesOf(resourceSpans.resource?.attributes)["service.name"];
        for (const scopeSpans of resourceSpans.scopeSpans ?? []) {
          for (const span of scopeSpans.spans ?? []) {
            spans.push({
              traceId: span.traceId,
              spanId: span.spanId,
              parentSpanId: span.parentSpanId ?? "",
              name: span.name,
              kind: span.kind,
              attributes: attributesOf(span.attributes),
              status: span.status ?? {},
              serviceName,
            });
          }
        }
      }
      response.writeHead(200, { "content-type": "application/json" }).end("{}");
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    spans,
    contentTypes,
    authorizations,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

/** A fresh caller trace: W3C ids as lower-case hex. */
function callerTrace(): { traceId: string; parentId: string; traceparent: string } {
  const traceId = randomBytes(16).toString("hex");
  const parentId = randomBytes(8).toString("hex");
  return { traceId, parentId, traceparent: `00-${traceId}-${parentId}-01` };
}

function gatewayConfig(simulator: Simulator, telemetry: Record<string, unknown> | undefined): Record<string, unknown> {
  return {
    server: { host: "127.0.0.1", logLevel: "info", shutdownGraceMs: 0, playground: false },
    auth: { keys: [{ id: "team-tracing", sha256: createHash("sha256").update(CALLER_KEY).digest("hex") }] },
    providers: { sim: { kind: "openai", baseUrl: simulator.baseUrl("openai"), apiKey: PROVIDER_KEY } },
    deployments: {
      "primary-a": { provider: "sim", model: "model-a" },
      "backup-b": { provider: "sim", model: "model-b" },
    },
    aliases: { assistant: { tiers: [["primary-a"], ["backup-b"]] } },
    routing: { retry: { maxRetriesPerDeployment: 0 } },
    ...(telemetry === undefined ? {} : { telemetry }),
  };
}

/** The vendor request's `traceparent`, split. */
function vendorTraceparent(request: RecordedRequest): { traceId: string; parentId: string; flags: string } {
  const [version, traceId, parentId, flags] = (request.headers.traceparent ?? "").split("-");
  expect(version).toBe("00");
  return { traceId, parentId, flags };
}

describe("traces", () => {
  let simulator: Simulator;
  let receiver: OtlpReceiver;
  let gateway: Replica;
  let directory: string;
  let importLog: string;

  beforeAll(async () => {
    directory = mkdtempSync(join(tmpdir(), "modelgate-tracing-"));
    importLog = join(directory, "imports-traced.log");
    simulator = await startSimulator();
    receiver = await startOtlpReceiver();
    const configPath = join(directory, "traced.yaml");
    writeConfig(
      configPath,
      gatewayConfig(simulator, {
        otlp: { endpoint: receiver.url, headers: { authorization: "Bearer collector-token" }, serviceName: "modelgate-under-test", exportDelayMs: 50 },
      }),
    );
    gateway = await startReplica("traced", configPath, { MODELGATE_IMPORT_LOG: importLog, NODE_OPTIONS: `--import ${recordImports}` });
  });

  afterAll(async () => {
    await gateway?.stop();
    await simulator?.close();
    await receiver?.close();
    rmSync(directory, { recursive: true, force: true });
  });

  beforeEach(() => simulator.reset());

  /** The spans of one trace, once `count` of them have arrived. */
  async function spansOf(traceId: string, count: number): Promise<ReceivedSpan[]> {
    const spans = await pollUntil(
      async () => receiver.spans.filter((span) => span.traceId === traceId),
      (found) => found.length >= count,
      5_000,
    );
    expect(spans).toHaveLength(count);
    return spans;
  }

  function requestSpanOf(spans: ReceivedSpan[]): ReceivedSpan {
    const found = spans.filter((span) => span.kind === SERVER);
    expect(found).toHaveLength(1);
    return found[0];
  }

  function expectNoSecrets(spans: ReceivedSpan[]): void {
    const text = JSON.stringify(spans);
    expect(text).not.toContain(PROMPT);
    expect(text).not.toContain(CALLER_KEY);
    expect(text).not.toContain(PROVIDER_KEY);
  }

  it("makes a Connect call that falls back one request span under the caller's parent, with two attempt spans, and passes each attempt's context to the vendor", async () => {
    simulator.program({ model: "model-a", behavior: { fault: { kind: "status", status: 503 } } });
    const caller = callerTrace();
    const response = await gateway.client.complete(
      { model: "assistant", messages: [userText(PROMPT)] },
      { headers: { traceparent: caller.traceparent, tracestate: "caller=abc", authorization: `Bearer ${CALLER_KEY}` } },
    );
    expect(response.route?.deployment).toBe("backup-b");

    const spans = await spansOf(caller.traceId, 3);
    const request = requestSpanOf(spans);
    expect(request.parentSpanId).toBe(caller.parentId);
    expect(request.name).toBe("chat assistant");
    expect(request.serviceName).toBe("modelgate-under-test");
    expect(request.attributes).toMatchObject({
      "gen_ai.operation.name": "chat",
      "gen_ai.request.model": "assistant",
      "gen_ai.request.stream": false,
      "gen_ai.response.model": "model-b",
      "gen_ai.provider.name": "openai",
      "gen_ai.usage.input_tokens": response.usage?.inputTokens,
      "gen_ai.usage.output_tokens": response.usage?.outputTokens,
      "gen_ai.response.finish_reasons": ["stop"],
      "modelgate.request.id": response.requestId,
      "modelgate.caller.id": "team-tracing",
      "modelgate.deployment": "backup-b",
      "modelgate.provider": "sim",
      "modelgate.attempts": 2,
    });
    expect(request.attributes["error.type"]).toBeUndefined();

    const attempts = spans.filter((span) => span.kind === CLIENT);
    expect(attempts.map((span) => span.parentSpanId)).toEqual([request.spanId, request.spanId]);
    const failed = attempts.find((span) => span.attributes["modelgate.deployment"] === "primary-a");
    const served = attempts.find((span) => span.attributes["modelgate.deployment"] === "backup-b");
    expect(failed?.name).toBe("chat model-a");
    expect(failed?.attributes).toMatchObject({ "modelgate.attempt.outcome": "failed", "error.type": "PROVIDER_UNAVAILABLE", "gen_ai.provider.name": "openai", "modelgate.attempt.retry": 0 });
    expect(failed?.status.code).toBe(STATUS_ERROR);
    expect(served?.attributes).toMatchObject({ "modelgate.attempt.outcome": "succeeded", "gen_ai.request.model": "model-b" });

    // Each vendor request is a child of its own attempt span, in the caller's trace, with its tracestate.
    expect(simulator.requests).toHaveLength(2);
    const [first, second] = simulator.requests.map(vendorTraceparent);
    expect(first).toEqual({ traceId: caller.traceId, parentId: failed?.spanId, flags: "01" });
    expect(second).toEqual({ traceId: caller.traceId, parentId: served?.spanId, flags: "01" });
    expect(simulator.requests.map((recorded) => recorded.headers.tracestate)).toEqual(["caller=abc", "caller=abc"]);

    expectNoSecrets(spans);
    expect(receiver.contentTypes.every((type) => type.startsWith("application/json"))).toBe(true);
    expect(receiver.authorizations.every((value) => value === "Bearer collector-token")).toBe(true);
  });

  it("traces a gRPC stream with its time to first chunk", async () => {
    const caller = callerTrace();
    const client = createClient(GatewayService, createGrpcTransport({ baseUrl: gateway.url }));
    let finished = false;
    for await (const event of client.streamComplete(
      { model: "assistant", messages: [userText(PROMPT)] },
      { headers: { traceparent: caller.traceparent, authorization: `Bearer ${CALLER_KEY}` } },
    )) {
      if (event.event.case === "finish") finished = true;
    }
    expect(finished).toBe(true);

    const spans = await spansOf(caller.traceId, 2);
    const request = requestSpanOf(spans);
    expect(request.parentSpanId).toBe(caller.parentId);
    expect(request.attributes).toMatchObject({ "gen_ai.request.stream": true, "gen_ai.response.model": "model-a", "modelgate.attempts": 1 });
    expect(request.attributes["gen_ai.response.time_to_first_chunk"]).toBeGreaterThan(0);
    const attempt = spans.find((span) => span.kind === CLIENT);
    expect(attempt?.parentSpanId).toBe(request.spanId);
    expect(attempt?.attributes["gen_ai.response.time_to_first_chunk"]).toBeGreaterThan(0);
    expect(vendorTraceparent(simulator.requests[0])).toEqual({ traceId: caller.traceId, parentId: attempt?.spanId, flags: "01" });
    expectNoSecrets(spans);
  });

  it("traces the OpenAI-compatible edge, streaming and unary, under the caller's parent", async () => {
    for (const stream of [true, false]) {
      simulator.reset();
      const caller = callerTrace();
      const response = await fetch(`${gateway.url}/v1/chat/completions`, {
        method: "POST",
        headers: { "content-type": "application/json", traceparent: caller.traceparent, authorization: `Bearer ${CALLER_KEY}` },
        body: JSON.stringify({ model: "assistant", messages: [{ role: "user", content: PROMPT }], stream }),
      });
      const body = await response.text();
      expect(response.status, body).toBe(200);

      const spans = await spansOf(caller.traceId, 2);
      const request = requestSpanOf(spans);
      expect(request.parentSpanId).toBe(caller.parentId);
      expect(request.attributes).toMatchObject({ "gen_ai.request.model": "assistant", "gen_ai.request.stream": stream, "modelgate.caller.id": "team-tracing" });
      const attempt = spans.find((span) => span.kind === CLIENT);
      expect(attempt?.parentSpanId).toBe(request.spanId);
      expect(vendorTraceparent(simulator.requests[0]).parentId).toBe(attempt?.spanId);
      expectNoSecrets(spans);
    }
  });

  it("records a failed call's error type on the request span", async () => {
    simulator.program({ behavior: { fault: { kind: "status", status: 503 } } });
    const caller = callerTrace();
    await expect(
      gateway.client.complete({ model: "assistant", messages: [userText(PROMPT)] }, { headers: { traceparent: caller.traceparent, authorization: `Bearer ${CALLER_KEY}` } }),
    ).rejects.toThrow();
    const spans = await spansOf(caller.traceId, 3);
    const request = requestSpanOf(spans);
    expect(request.attributes).toMatchObject({ "error.type": "PROVIDER_UNAVAILABLE", "modelgate.attempts": 2, "gen_ai.provider.name": "openai" });
    expect(request.status.code).toBe(STATUS_ERROR);
  });

  it("starts a trace of its own for a caller that sent no traceparent, and still passes it on", async () => {
    await gateway.client.complete({ model: "assistant", messages: [userText(PROMPT)] }, { headers: { authorization: `Bearer ${CALLER_KEY}` } });
    const { traceId } = vendorTraceparent(simulator.requests[0]);
    const spans = await spansOf(traceId, 2);
    expect(requestSpanOf(spans).parentSpanId).toBe("");
  });

  it("loads the SDK in the gateway that exports", () => {
    const imported = readFileSync(importLog, "utf8");
    expect(imported).toContain("@opentelemetry/sdk-trace-base");
    expect(imported).toContain("@opentelemetry/exporter-trace-otlp-http");
  });

  it("imports the OpenTelemetry API and no SDK package without the telemetry section, and sends no traceparent", async () => {
    const untracedLog = join(directory, "imports-untraced.log");
    const configPath = join(directory, "untraced.yaml");
    writeConfig(configPath, gatewayConfig(simulator, undefined));
    const untraced = await startReplica("untraced", configPath, { MODELGATE_IMPORT_LOG: untracedLog, NODE_OPTIONS: `--import ${recordImports}` });
    try {
      const caller = callerTrace();
      await untraced.client.complete({ model: "assistant", messages: [userText(PROMPT)] }, { headers: { traceparent: caller.traceparent, authorization: `Bearer ${CALLER_KEY}` } });
      expect(simulator.requests[0].headers.traceparent).toBeUndefined();
      expect(existsSync(untracedLog)).toBe(true);
      const imported = [...new Set(readFileSync(untracedLog, "utf8").split("\n").filter((line) => line !== ""))];
      expect(imported).toEqual(["@opentelemetry/api"]);
    } finally {
      await untraced.stop();
    }
  });
});
