/**
 * The grpc-go load generator (bench/grpc-load) against a real grpc-js server on port 0: it must send
 * the bench's Complete request, count successes and failures the way closedLoop does, and report
 * percentiles over successful calls. Go is installed wherever this suite runs (CI installs it), so a
 * missing `go` fails here rather than skipping.
 */
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import * as grpc from "@grpc/grpc-js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildGrpcLoad, closedLoopGrpcGo, grpcGoAvailable, parseGrpcLoadOutput, sequentialGrpcGo, sequentialStreamsGrpcGo } from "../../bench/lib/grpc-load.js";
import { CompleteRequestSchema, CompleteResponseSchema, FinishReason, type CompleteRequest } from "../../gen/modelgate/v1/completion_pb.js";
import { Role } from "../../gen/modelgate/v1/content_pb.js";
import { StreamCompleteRequestSchema, StreamCompleteResponseSchema, type StreamCompleteRequest } from "../../gen/modelgate/v1/stream_pb.js";

/** The stream the null server sends: a start, three text deltas 20 ms apart, a finish. */
const pacedDeltas = 3;
const pacedGapMs = 20;

/**
 * A null Complete handler: answers at once, or fails with INTERNAL when the model is "fail"; and a
 * StreamComplete that sends `pacedDeltas` text deltas `pacedGapMs` apart, or fails after one when the
 * model is "fail".
 */
function startNullServer(seen: CompleteRequest[], seenStreams: StreamCompleteRequest[]): Promise<{ server: grpc.Server; address: string }> {
  const server = new grpc.Server();
  const definition: grpc.ServiceDefinition = {
    Complete: {
      path: "/modelgate.v1.GatewayService/Complete",
      requestStream: false,
      responseStream: false,
      requestSerialize: (value: Buffer) => value,
      requestDeserialize: (bytes: Buffer) => fromBinary(CompleteRequestSchema, bytes),
      responseSerialize: (bytes: Buffer) => bytes,
      responseDeserialize: (bytes: Buffer) => bytes,
    },
    StreamComplete: {
      path: "/modelgate.v1.GatewayService/StreamComplete",
      requestStream: false,
      responseStream: true,
      requestSerialize: (value: Buffer) => value,
      requestDeserialize: (bytes: Buffer) => fromBinary(StreamCompleteRequestSchema, bytes),
      responseSerialize: (bytes: Buffer) => bytes,
      responseDeserialize: (bytes: Buffer) => bytes,
    },
  };
  const event = (value: Parameters<typeof create<typeof StreamCompleteResponseSchema>>[1]) =>
    Buffer.from(toBinary(StreamCompleteResponseSchema, create(StreamCompleteResponseSchema, value)));
  const response = Buffer.from(toBinary(CompleteResponseSchema, create(CompleteResponseSchema, { requestId: "r", text: "Hello.", finishReason: FinishReason.STOP })));
  server.addService(definition, {
    Complete: (call: grpc.ServerUnaryCall<CompleteRequest, Buffer>, callback: grpc.sendUnaryData<Buffer>) => {
      if (seen.length < 10) seen.push(call.request);
      if (call.request.model === "fail") callback({ code: grpc.status.INTERNAL, details: "told to fail" });
      else callback(null, response);
    },
    StreamComplete: async (call: grpc.ServerWritableStream<StreamCompleteRequest, Buffer>) => {
      if (seenStreams.length < 10) seenStreams.push(call.request);
      call.write(event({ event: { case: "start", value: { requestId: "r", deployment: "d" } } }));
      for (let index = 0; index < pacedDeltas; index++) {
        await new Promise((resolve) => setTimeout(resolve, pacedGapMs));
        call.write(event({ event: { case: "textDelta", value: { text: `t${index} ` } } }));
        if (call.request.model === "fail") {
          call.emit("error", { code: grpc.status.UNAVAILABLE, details: "told to fail" });
          return;
        }
      }
      call.write(event({ event: { case: "finish", value: { finishReason: FinishReason.STOP } } }));
      call.end();
    },
  });
  return new Promise((resolve, reject) => {
    server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (error, port) => (error ? reject(error) : resolve({ server, address: `127.0.0.1:${port}` })));
  });
}

describe("bench/grpc-load", () => {
  const seen: CompleteRequest[] = [];
  const seenStreams: StreamCompleteRequest[] = [];
  let server: grpc.Server;
  let address: string;

  beforeAll(async () => {
    expect(grpcGoAvailable(), "go is not on PATH (CI installs it)").toBe(true);
    await buildGrpcLoad();
    ({ server, address } = await startNullServer(seen, seenStreams));
  }, 120_000);

  afterAll(() => {
    server?.forceShutdown();
  });

  it("sends the bench's Complete request back to back and reports like closedLoop", async () => {
    const result = await closedLoopGrpcGo(address, 4, 300, "mock-instant");
    expect(result.requests).toBeGreaterThan(0);
    expect(result.errors).toBe(0);
    expect(result.firstError).toBeUndefined();
    expect(result.durationMs).toBeGreaterThanOrEqual(300);
    expect(result.requestsPerSecond).toBeCloseTo((result.requests / result.durationMs) * 1000, 6);
    expect(result.p50Ms).toBeGreaterThan(0);
    expect(result.p99Ms).toBeGreaterThanOrEqual(result.p50Ms);
    // The same request createGrpcClient (bench/lib/clients.ts) builds.
    expect(seen[0]?.model).toBe("mock-instant");
    expect(seen[0]?.messages.map((message) => ({ role: message.role, parts: message.parts.map((part) => part.part) }))).toEqual([
      { role: Role.USER, parts: [{ case: "text", value: "Say hello." }] },
    ]);
  });

  it("counts every failed call as an error, keeps the first error's status, and has no percentiles", async () => {
    const result = await closedLoopGrpcGo(address, 4, 300, "fail");
    expect(result.requests).toBeGreaterThan(0);
    expect(result.errors).toBe(result.requests);
    expect(result.requestsPerSecond).toBe(0);
    expect(result.firstError).toMatch(/^13 Internal: told to fail$/);
    expect(result.p50Ms).toBeNaN();
    expect(result.p99Ms).toBeNaN();
  });

  it("sends exactly the asked number of calls one at a time and returns each latency, sorted", async () => {
    const latencies = await sequentialGrpcGo(address, 25, 10_000, "mock-instant");
    expect(latencies).toHaveLength(25);
    expect(latencies.every((value) => value > 0)).toBe(true);
    expect([...latencies].sort((a, b) => a - b)).toEqual(latencies);
  });

  it("throws from a one-at-a-time run with a failed call, as the Node sequential loop does", async () => {
    await expect(sequentialGrpcGo(address, 5, 10_000, "fail")).rejects.toThrow(/5 of 5 calls failed, first: 13 Internal: told to fail/);
  });

  it("streams one at a time and times every text delta from the start of its call", async () => {
    const batch = await sequentialStreamsGrpcGo(address, 3, 10_000, "mock-stream-32-20");
    expect(batch.errors).toBe(0);
    expect(batch.results).toHaveLength(3);
    for (const result of batch.results) {
      expect(result.deltaTimesMs).toHaveLength(pacedDeltas);
      expect(result.firstContentMs).toBe(result.deltaTimesMs[0]);
      // Lower bounds only (the server waits at least this long before each delta); a busy machine
      // can delay one delta and bunch it with the next, so single gaps are not checked.
      expect([...result.deltaTimesMs].sort((a, b) => a - b)).toEqual(result.deltaTimesMs);
      expect(result.firstContentMs).toBeGreaterThanOrEqual(pacedGapMs - 2);
      expect(result.deltaTimesMs[pacedDeltas - 1]).toBeGreaterThanOrEqual(pacedDeltas * pacedGapMs - 3);
      expect(result.totalMs).toBeGreaterThanOrEqual(result.deltaTimesMs[pacedDeltas - 1]);
    }
    // The same request createGrpcClient (bench/lib/clients.ts) streams.
    expect(seenStreams[0]?.model).toBe("mock-stream-32-20");
    expect(seenStreams[0]?.messages.map((message) => ({ role: message.role, parts: message.parts.map((part) => part.part) }))).toEqual([
      { role: Role.USER, parts: [{ case: "text", value: "Say hello." }] },
    ]);
  });

  it("counts a stream that ends with an error status as failed, not as a result", async () => {
    const batch = await sequentialStreamsGrpcGo(address, 2, 10_000, "fail");
    expect(batch.results).toEqual([]);
    expect(batch.errors).toBe(2);
    expect(batch.firstError).toMatch(/^14 Unavailable: told to fail$/);
  });

  it("fails the run when it cannot connect at all", async () => {
    await expect(closedLoopGrpcGo("127.0.0.1:1", 1, 100, "mock-instant")).rejects.toThrow(/cannot connect/);
  });

  it("reads null percentiles back as NaN", () => {
    const result = parseGrpcLoadOutput('{"requests":3,"errors":3,"firstError":"14 Unavailable: x","durationMs":10,"requestsPerSecond":0,"p50Ms":null,"p99Ms":null}\n');
    expect(result).toMatchObject({ requests: 3, errors: 3, firstError: "14 Unavailable: x", requestsPerSecond: 0 });
    expect(result.p50Ms).toBeNaN();
  });
});
