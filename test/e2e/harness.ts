/**
 * The end-to-end harness: the vendor simulator, the real engine and the real server on port 0, and a
 * real `@grpc/grpc-js` client over protobuf-es serialisers. Tests build a config fragment (providers,
 * deployments, aliases, routing) around `sim.baseUrl(...)`; the harness adds the server section, parses
 * it with the real schema and returns helpers that give back every event and the final status with its
 * decoded `grpc-status-details-bin` (ErrorInfo, RetryInfo, BadRequest, FailureDetails).
 *
 * One simulator per file (reset before each test), one gateway per test, so breaker and stats state
 * never leaks from one test into the next.
 */
import { Writable } from "node:stream";
import { create, fromBinary, toBinary, type DescMessage, type MessageInitShape, type MessageShape } from "@bufbuild/protobuf";
import { Client, credentials, Metadata, status as GrpcStatus, type ServiceError, type StatusObject } from "@grpc/grpc-js";
import { CompleteRequestSchema, CompleteResponseSchema, type CompleteResponse } from "../../gen/modelgate/v1/completion_pb.js";
import { Role, type MessageSchema } from "../../gen/modelgate/v1/content_pb.js";
import {
  GetDeploymentStatsRequestSchema,
  GetDeploymentStatsResponseSchema,
} from "../../gen/modelgate/v1/gateway_service_pb.js";
import type { DeploymentStats } from "../../gen/modelgate/v1/models_pb.js";
import {
  StreamCompleteRequestSchema,
  StreamCompleteResponseSchema,
  type StreamCompleteResponse,
} from "../../gen/modelgate/v1/stream_pb.js";
import { configSchema, type GatewayConfig } from "../../src/config/schema.js";
import type { CompletionEngine } from "../../src/gateway/types.js";
import { createLogger } from "../../src/observability/logger.js";
import type { Clock } from "../../src/resilience/clock.js";
import { createGatewayEngine } from "../../src/routing/create-gateway-engine.js";
import { createGatewayServer, type GatewayServer } from "../../src/server/create-server.js";
import { decodeStatusDetails } from "../scenarios/runners/status-details.js";
import type { DecodedDetails } from "../scenarios/runners/transcript.js";

const SERVICE = "/modelgate.v1.GatewayService";

/** The status a call ended with, as the grpc-js client saw it. */
export interface CallStatus {
  code: GrpcStatus;
  /** The status message. */
  message: string;
  details: DecodedDetails;
  /** The raw `grpc-status-details-bin`, for leak checks. */
  rawDetails?: Buffer;
  /** Every trailer/header value as text, for leak checks. */
  metadataText: string;
  /** Date.now() when the client got the status. */
  at: number;
}

export interface UnaryOutcome {
  response?: CompleteResponse;
  status: CallStatus;
  startedAt: number;
  /** The deadline handed to grpc-js (Date.now() ms), when one was set. */
  deadlineAt?: number;
}

export interface StreamOutcome {
  events: StreamCompleteResponse[];
  /** Date.now() of each event, same index as `events`. */
  eventTimes: number[];
  status: CallStatus;
  startedAt: number;
  /** The deadline handed to grpc-js (Date.now() ms), when one was set. */
  deadlineAt?: number;
  /** Date.now() when the test canceled the call, if it did. */
  canceledAt?: number;
}

export interface CallOptions {
  /** Sets the grpc-js `deadline` option to now + this many ms (grpc-js then also enforces it locally). */
  deadlineMs?: number;
  /** Extra request metadata, e.g. a raw `grpc-timeout` that only the server enforces. */
  metadata?: Record<string, string>;
}

export interface StreamOptions extends CallOptions {
  /** Called for each event; return "cancel" to cancel the call right there. */
  onEvent?: (event: StreamCompleteResponse, index: number) => "cancel" | void;
}

/** A grpc-js client for the GatewayService. */
export interface GatewayClient {
  complete(request: MessageInitShape<typeof CompleteRequestSchema>, options?: CallOptions): Promise<UnaryOutcome>;
  stream(request: MessageInitShape<typeof StreamCompleteRequestSchema>, options?: StreamOptions): Promise<StreamOutcome>;
  deploymentStats(names: string[]): Promise<DeploymentStats[]>;
  close(): void;
}

export interface E2EGateway {
  config: GatewayConfig;
  engine: CompletionEngine;
  server: GatewayServer;
  client: GatewayClient;
  /** Log lines written so far, when started with `captureLogs`. */
  logLines: string[];
  close(): Promise<void>;
}

export interface StartGatewayOptions {
  /** Injected into the engine (strategy tests make the dice deterministic). */
  random?: () => number;
  /** Injected into the engine; the system clock by default. */
  clock?: Clock;
  /** Log at debug into `E2EGateway.logLines` instead of the usual (silent) logger. */
  captureLogs?: boolean;
}

/** Starts engine + server on 127.0.0.1:0 for `fragment` (everything but `server`) and a grpc-js client. */
export async function startGateway(fragment: Record<string, unknown>, options: StartGatewayOptions = {}): Promise<E2EGateway> {
  const logLevel = options.captureLogs === true ? "debug" : (process.env.MODELGATE_TEST_LOG_LEVEL ?? "silent");
  const config = configSchema.parse({ ...fragment, server: { host: "127.0.0.1", port: 0, logLevel, shutdownGraceMs: 0 } });
  const logLines: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      logLines.push(chunk.toString("utf8"));
      done();
    },
  });
  const logger = createLogger({ level: logLevel, destination: options.captureLogs === true ? destination : undefined });
  const engine = await createGatewayEngine(config, { logger, random: options.random, clock: options.clock });
  const server = await createGatewayServer({ config, engine, logger });
  const client = createGatewayClient(`127.0.0.1:${server.port}`);
  return {
    config,
    engine,
    server,
    client,
    logLines,
    async close() {
      client.close();
      await server.close(0);
      await engine.close();
    },
  };
}

function statusOf(code: GrpcStatus, message: string, metadata: Metadata | undefined): CallStatus {
  const raw = metadata?.get("grpc-status-details-bin")[0];
  const rawDetails = raw instanceof Buffer ? raw : undefined;
  const metadataText = Object.entries(metadata?.getMap() ?? {})
    .map(([key, value]) => `${key}: ${value instanceof Buffer ? value.toString("latin1") : String(value)}`)
    .join("\n");
  return {
    code,
    message,
    details: rawDetails === undefined ? {} : decodeStatusDetails(rawDetails),
    rawDetails,
    metadataText,
    at: Date.now(),
  };
}

function serializer<Desc extends DescMessage>(schema: Desc): (value: MessageShape<Desc>) => Buffer {
  return (value) => Buffer.from(toBinary(schema, value));
}

function deserializer<Desc extends DescMessage>(schema: Desc): (bytes: Buffer) => MessageShape<Desc> {
  return (bytes) => fromBinary(schema, bytes);
}

function metadataOf(options: CallOptions): Metadata {
  const metadata = new Metadata();
  for (const [key, value] of Object.entries(options.metadata ?? {})) metadata.set(key, value);
  return metadata;
}

function callOptions(options: CallOptions): { deadline?: number } {
  return options.deadlineMs === undefined ? {} : { deadline: Date.now() + options.deadlineMs };
}

/** A grpc-js client over the generated protobuf-es schemas (no .proto loading at run time). */
export function createGatewayClient(address: string): GatewayClient {
  const client = new Client(address, credentials.createInsecure());

  function unary<I extends DescMessage, O extends DescMessage>(
    method: string,
    input: I,
    output: O,
    request: MessageShape<I>,
    options: CallOptions,
  ): Promise<{ response?: MessageShape<O>; status: CallStatus; startedAt: number; deadlineAt?: number }> {
    const startedAt = Date.now();
    const grpcOptions = callOptions(options);
    const deadlineAt = grpcOptions.deadline;
    return new Promise((resolve) => {
      client.makeUnaryRequest<MessageShape<I>, MessageShape<O>>(
        `${SERVICE}/${method}`,
        serializer(input),
        deserializer(output),
        request,
        metadataOf(options),
        grpcOptions,
        (error: ServiceError | null, response?: MessageShape<O>) => {
          if (error !== null) resolve({ status: statusOf(error.code, error.details, error.metadata), startedAt, deadlineAt });
          else resolve({ response, status: statusOf(GrpcStatus.OK, "", undefined), startedAt, deadlineAt });
        },
      );
    });
  }

  return {
    complete(request, options = {}) {
      return unary("Complete", CompleteRequestSchema, CompleteResponseSchema, create(CompleteRequestSchema, request), options);
    },

    stream(request, options = {}) {
      const startedAt = Date.now();
      const grpcOptions = callOptions(options);
      const deadlineAt = grpcOptions.deadline;
      const call = client.makeServerStreamRequest<MessageShape<typeof StreamCompleteRequestSchema>, StreamCompleteResponse>(
        `${SERVICE}/StreamComplete`,
        serializer(StreamCompleteRequestSchema),
        deserializer(StreamCompleteResponseSchema),
        create(StreamCompleteRequestSchema, request),
        metadataOf(options),
        grpcOptions,
      );
      const events: StreamCompleteResponse[] = [];
      const eventTimes: number[] = [];
      let canceledAt: number | undefined;
      return new Promise((resolve) => {
        call.on("data", (event: StreamCompleteResponse) => {
          if (canceledAt !== undefined) return;
          events.push(event);
          eventTimes.push(Date.now());
          if (options.onEvent?.(event, events.length - 1) === "cancel") {
            canceledAt = Date.now();
            call.cancel();
          }
        });
        // The status event always comes; errors are reported through it too.
        call.on("error", () => undefined);
        call.on("status", (status: StatusObject) => {
          const final = statusOf(status.code, status.details, status.metadata);
          setImmediate(() => resolve({ events, eventTimes, status: final, startedAt, deadlineAt, canceledAt }));
        });
      });
    },

    async deploymentStats(names) {
      const outcome = await unary(
        "GetDeploymentStats",
        GetDeploymentStatsRequestSchema,
        GetDeploymentStatsResponseSchema,
        create(GetDeploymentStatsRequestSchema, { deployments: names }),
        {},
      );
      if (outcome.response === undefined) throw new Error(`GetDeploymentStats failed: ${outcome.status.code} ${outcome.status.message}`);
      return outcome.response.stats;
    },

    close() {
      client.close();
    },
  };
}

/** A user message with one text part. */
export function userText(text: string): MessageInitShape<typeof MessageSchema> {
  return { role: Role.USER, parts: [{ part: { case: "text", value: text } }] };
}

/** The events of a stream by kind, in order. */
export function eventKinds(events: StreamCompleteResponse[]): string[] {
  return events.map((e) => e.event.case ?? "none");
}

/** Concatenated text deltas. */
export function streamedText(events: StreamCompleteResponse[]): string {
  return events.map((e) => (e.event.case === "textDelta" ? e.event.value.text : "")).join("");
}

type StreamEvent = Exclude<StreamCompleteResponse["event"], { case: undefined }>;
type EventValues = { [E in StreamEvent as E["case"]]: E["value"] };

/** The value of the first event of one kind. */
export function eventOf<K extends keyof EventValues>(events: StreamCompleteResponse[], kind: K): EventValues[K] | undefined {
  const found = events.find((e) => e.event.case === kind);
  return found?.event.value as EventValues[K] | undefined;
}

/** Everything about a status the client can see, as one string, for secret-leak checks. */
export function visibleStatusText(status: CallStatus): string {
  return [status.message, status.metadataText, status.rawDetails?.toString("latin1") ?? "", JSON.stringify(status.details, (_, v) => (typeof v === "bigint" ? String(v) : v))].join("\n");
}

/** Polls `read` until `done` holds or `timeoutMs` passes; returns the last value. */
export async function pollUntil<T>(read: () => Promise<T>, done: (value: T) => boolean, timeoutMs = 3_000): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value) || Date.now() >= until) return value;
    await sleep(25);
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Percentile (nearest rank) of `values`. */
export function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

