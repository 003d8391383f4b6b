/**
 * The gRPC server-streaming fast path answers exactly as connect does. Two servers run the same service:
 * one with the gRPC stream fast path (the default), one with `grpcStreamFastPath: false`
 * (fast-path-variant.ts), where every gRPC stream goes through connect's gRPC handler. Each case sends
 * the same raw HTTP/2 gRPC request to both and compares status, headers, DATA bytes and trailers; the
 * cases that depend on timing (a deadline, the client going away, the gated model) compare what the
 * implementation saw.
 */
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { findTrailerError } from "@connectrpc/connect/protocol-grpc";
import * as grpc from "@grpc/grpc-js";
import http2 from "node:http2";
import { gunzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Role } from "../../gen/modelgate/v1/content_pb.js";
import { StreamCompleteRequestSchema, StreamCompleteResponseSchema, type StreamCompleteResponse } from "../../gen/modelgate/v1/stream_pb.js";
import { GatewayError } from "../../src/gateway/types.js";
import { GrpcJsGatewayClient } from "./clients.js";
import { manyMessages, startVariant, type StreamProbe, type Variant } from "./fast-path-variant.js";

const maxMessageBytes = 4096;
const streamPath = "/modelgate.v1.GatewayService/StreamComplete";

/** Both variants leave the other fast paths on: none of them serves a gRPC stream. */
const startGrpcStreamVariant = (fastPath: boolean): Promise<Variant> =>
  startVariant({ connectUnaryFastPath: true, grpcUnaryFastPath: true, connectStreamFastPath: true, grpcStreamFastPath: fastPath }, maxMessageBytes);

type HeaderMap = Record<string, string | string[] | undefined>;

interface Answer {
  status: number;
  headers: HeaderMap;
  body: string;
  trailers: HeaderMap;
}

/** Headers that differ between any two responses (time) and pseudo-headers are left out. */
function comparable(headers: http2.IncomingHttpHeaders): HeaderMap {
  const kept: HeaderMap = {};
  for (const [name, value] of Object.entries(headers)) {
    if (name === "date" || name.startsWith(":")) continue;
    kept[name] = value;
  }
  return kept;
}

interface Exchange {
  headers: Record<string, string>;
  body: Uint8Array;
}

interface Envelope {
  flags: number;
  data: Buffer;
}

function decodeEnvelopes(bytes: Buffer): Envelope[] {
  const envelopes: Envelope[] = [];
  let offset = 0;
  while (offset + 5 <= bytes.byteLength) {
    const length = bytes.readUInt32BE(offset + 1);
    if (offset + 5 + length > bytes.byteLength) break;
    envelopes.push({ flags: bytes[offset], data: bytes.subarray(offset + 5, offset + 5 + length) });
    offset += 5 + length;
  }
  return envelopes;
}

/** A call in progress: its envelopes as they arrive, a way to leave it, and the whole answer. */
interface LiveCall {
  /** Resolves once at least `count` complete envelopes have arrived. */
  envelopes(count: number): Promise<Envelope[]>;
  pause(): void;
  resume(): void;
  /** The client goes away: the stream is cancelled (RST_STREAM). */
  leave(): void;
  /** The response head, as soon as it arrives. */
  readonly head: Promise<HeaderMap>;
  readonly answer: Promise<Answer>;
}

/** Collects a response body and wakes the waiters of `envelopes(count)` as it grows (in linear time). */
function createCollector(): { push(chunk: Buffer): void; body(): Buffer; envelopes(count: number): Promise<Envelope[]> } {
  const chunks: Buffer[] = [];
  const complete: Envelope[] = [];
  let pending = Buffer.alloc(0);
  let waiters: { count: number; resolve: (envelopes: Envelope[]) => void }[] = [];
  return {
    push(chunk) {
      chunks.push(chunk);
      pending = Buffer.concat([pending, chunk]);
      const envelopes = decodeEnvelopes(pending);
      complete.push(...envelopes);
      pending = pending.subarray(envelopes.reduce((sum, { data }) => sum + 5 + data.byteLength, 0));
      const ready = waiters.filter((waiter) => complete.length >= waiter.count);
      waiters = waiters.filter((waiter) => complete.length < waiter.count);
      for (const waiter of ready) waiter.resolve(complete);
    },
    body: () => Buffer.concat(chunks),
    envelopes(count) {
      if (complete.length >= count) return Promise.resolve(complete);
      return new Promise((resolve) => waiters.push({ count, resolve }));
    },
  };
}

function callGrpc(port: number, exchange: Exchange): LiveCall {
  const collector = createCollector();
  const session = http2.connect(`http://127.0.0.1:${port}`);
  const stream = session.request({ ":method": "POST", ":path": streamPath, te: "trailers", ...exchange.headers });
  let headArrived = (_head: HeaderMap): void => undefined;
  const head = new Promise<HeaderMap>((resolve) => (headArrived = resolve));
  const answer = new Promise<Answer>((resolve, reject) => {
    session.on("error", reject);
    let status = 0;
    let headers: HeaderMap = {};
    let trailers: HeaderMap = {};
    stream.on("response", (received) => {
      status = Number(received[":status"]);
      headers = comparable(received);
      headArrived(headers);
    });
    stream.on("trailers", (received) => {
      trailers = comparable(received);
    });
    stream.on("data", (chunk: Buffer) => collector.push(chunk));
    stream.on("end", () => {
      session.close();
      resolve({ status, headers, body: collector.body().toString("base64"), trailers });
    });
    stream.on("error", reject);
    stream.end(exchange.body);
  });
  return {
    envelopes: (count) => collector.envelopes(count),
    pause: () => stream.pause(),
    resume: () => stream.resume(),
    leave() {
      answer.catch(() => undefined);
      stream.close(http2.constants.NGHTTP2_CANCEL);
      session.close();
    },
    head,
    answer,
  };
}

const userMessage = (text: string) => ({ role: Role.USER, parts: [{ part: { case: "text" as const, value: text } }] });

function envelope(data: Uint8Array, flags = 0): Uint8Array {
  const bytes = new Uint8Array(data.byteLength + 5);
  bytes[0] = flags;
  new DataView(bytes.buffer).setUint32(1, data.byteLength);
  bytes.set(data, 5);
  return bytes;
}

function streamRequest(model: string, text: string): Uint8Array {
  return envelope(toBinary(StreamCompleteRequestSchema, create(StreamCompleteRequestSchema, { model, messages: [userMessage(text)] })));
}

const grpcHeaders = (requestId: string, extra: Record<string, string> = {}) => ({
  "content-type": "application/grpc",
  "x-request-id": requestId,
  ...extra,
});

const concat = (...parts: Uint8Array[]): Uint8Array => new Uint8Array(Buffer.concat(parts));

/** The call's status as a gRPC client reads it from the trailers (details decoded from grpc-status-details-bin). */
function status(answer: Answer): { code: number; message: string; details: string[] } {
  const trailer = new Headers();
  for (const [name, value] of Object.entries(answer.trailers)) if (typeof value === "string") trailer.set(name, value);
  const error = findTrailerError(trailer);
  return { code: error?.code ?? 0, message: error?.rawMessage ?? "", details: (error?.details ?? []).map((detail) => ("type" in detail ? detail.type : detail.desc.typeName)) };
}

/** The answer's messages, each decompressed (gzip) when its flag says so. */
function messages(answer: Answer): StreamCompleteResponse[] {
  return decodeEnvelopes(Buffer.from(answer.body, "base64")).map(({ flags, data }) =>
    fromBinary(StreamCompleteResponseSchema, (flags & 1) === 0 ? data : gunzipSync(data)),
  );
}

async function waitFor(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((resolve) => setTimeout(resolve, 5));
}

/** Waits until the probe has yielded the same number of messages for 150 ms (the stream is stalled). */
async function whenStalled(probe: StreamProbe): Promise<number> {
  let last = -1;
  let steadyFor = 0;
  while (steadyFor < 150) {
    await new Promise((resolve) => setTimeout(resolve, 25));
    steadyFor = probe.produced === last ? steadyFor + 25 : 0;
    last = probe.produced;
  }
  return last;
}

describe("the gRPC stream fast path", () => {
  let fast: Variant;
  let connect: Variant;

  beforeAll(async () => {
    [fast, connect] = await Promise.all([startGrpcStreamVariant(true), startGrpcStreamVariant(false)]);
  });
  afterAll(async () => {
    await Promise.all([fast.close(), connect.close()]);
  });

  const post = (variant: Variant, exchange: Exchange): Promise<Answer> => callGrpc(variant.port, exchange).answer;
  /** Sends `exchange` to both servers and returns [fast path's answer, connect's answer]. */
  const both = async (exchange: Exchange): Promise<[Answer, Answer]> => [await post(fast, exchange), await post(connect, exchange)];

  it("answers a stream as connect does, and serves it itself", async () => {
    const [fastAnswer, connectAnswer] = await both({ headers: grpcHeaders("grpc-stream-1"), body: streamRequest("echo", "hello there from a stream") });
    expect(fastAnswer).toEqual(connectAnswer);
    expect(fastAnswer.status).toBe(200);
    expect(fastAnswer.headers["content-type"]).toBe("application/grpc+proto");
    expect(fastAnswer.trailers["grpc-status"]).toBe("0");
    const received = messages(fastAnswer);
    expect(received[0].event.case).toBe("start");
    expect(received.at(-1)?.event.case).toBe("finish");
    // connect aborts every call's signal when it ends; the fast path leaves a finished call's alone.
    expect(connect.streamContexts.at(-1)?.signal.aborted).toBe(true);
    expect(fast.streamContexts.at(-1)?.signal.aborted).toBe(false);
    expect(fast.streamContexts.at(-1)?.protocolName).toBe("grpc");
  });

  it("answers application/grpc+proto with a valid grpc-timeout as connect does", async () => {
    const [fastAnswer, connectAnswer] = await both({
      headers: grpcHeaders("grpc-stream-2", { "content-type": "application/grpc+proto", "grpc-timeout": "5S", "grpc-encoding": "identity" }),
      body: streamRequest("echo", "typed"),
    });
    expect(fastAnswer).toEqual(connectAnswer);
    expect(fastAnswer.trailers["grpc-status"]).toBe("0");
    expect(fast.streamContexts.at(-1)?.protocolName).toBe("grpc");
    expect(fast.streamContexts.at(-1)?.signal.aborted).toBe(false);
  });

  const oversize = streamRequest("echo", "x".repeat(maxMessageBytes));
  const invalidRequest = envelope(
    toBinary(StreamCompleteRequestSchema, create(StreamCompleteRequestSchema, { model: "echo", messages: [userMessage("hi")], sampling: { temperature: 3 } })),
  );
  const cases: [string, Exchange][] = [
    ["an oversize message (its envelope's length)", { headers: grpcHeaders("oversize-1"), body: oversize }],
    ["an oversize message by Content-Length", { headers: grpcHeaders("oversize-2", { "content-length": String(oversize.byteLength) }), body: oversize }],
    ["a second envelope over readMaxBytes", { headers: grpcHeaders("oversize-3"), body: concat(streamRequest("echo", "a"), new Uint8Array([0, 0, 1, 0, 0])) }],
    ["malformed proto", { headers: grpcHeaders("bad-proto-1"), body: envelope(new Uint8Array([0x0a, 0xff, 0xff])) }],
    ["an empty body (no message)", { headers: grpcHeaders("empty-1"), body: new Uint8Array(0) }],
    ["a lone envelope header", { headers: grpcHeaders("header-only-1"), body: new Uint8Array([0, 0, 0, 0, 9]) }],
    ["an incomplete envelope", { headers: grpcHeaders("incomplete-1"), body: streamRequest("echo", "cut").subarray(0, 12) }],
    ["two messages", { headers: grpcHeaders("two-1"), body: concat(streamRequest("echo", "a"), streamRequest("echo", "b")) }],
    ["a compressed envelope without grpc-encoding", { headers: grpcHeaders("compressed-1"), body: envelope(streamRequest("echo", "z").subarray(5), 1) }],
    ["an invalid request (field violations)", { headers: grpcHeaders("invalid-1"), body: invalidRequest }],
    ["an engine failure before the first message", { headers: grpcHeaders("fail-1"), body: streamRequest("fail:PROVIDER_UNAVAILABLE", "f") }],
    ["a plain Error from the engine", { headers: grpcHeaders("boom-1"), body: streamRequest("boom", "b") }],
    ["an error with metadata before the first message", { headers: grpcHeaders("error-before-1"), body: streamRequest("test:stream-error-before", "e") }],
    ["an error with metadata after two messages", { headers: grpcHeaders("error-after-1"), body: streamRequest("test:stream-error-after", "e") }],
    ["a plain Error thrown after a message (bare internal error)", { headers: grpcHeaders("plain-error-1"), body: streamRequest("test:stream-plain-error", "e") }],
    ["response headers and trailers", { headers: grpcHeaders("trailers-1"), body: streamRequest("test:stream-trailers", "t") }],
    ["a large message without compression", { headers: grpcHeaders("large-1"), body: streamRequest("test:stream-large", "l") }],
    ["a large message with gzip negotiated", { headers: grpcHeaders("large-2", { "grpc-accept-encoding": "identity,deflate,gzip" }), body: streamRequest("test:stream-large", "l") }],
    ["a large message with br negotiated", { headers: grpcHeaders("large-3", { "grpc-accept-encoding": "br" }), body: streamRequest("test:stream-large", "l") }],
    ["a large message with only deflate accepted", { headers: grpcHeaders("large-4", { "grpc-accept-encoding": "deflate" }), body: streamRequest("test:stream-large", "l") }],
    ["a small stream with compression negotiated", { headers: grpcHeaders("small-gzip-1", { "grpc-accept-encoding": "gzip" }), body: streamRequest("echo", "small") }],
    // Declined: connect serves these, so the answers agree by construction; they must still be right.
    ["grpc-encoding gzip (declined)", { headers: grpcHeaders("gzip-1", { "grpc-encoding": "gzip" }), body: streamRequest("echo", "g") }],
    ["an unknown grpc-encoding (declined)", { headers: grpcHeaders("zstd-1", { "grpc-encoding": "zstd" }), body: streamRequest("echo", "z") }],
    ["grpc-web (declined)", { headers: grpcHeaders("web-1", { "content-type": "application/grpc-web+proto" }), body: streamRequest("echo", "w") }],
    ["grpc+json (declined)", { headers: grpcHeaders("json-1", { "content-type": "application/grpc+json" }), body: envelope(Buffer.from(JSON.stringify({ model: "echo", messages: [{ role: "ROLE_USER", parts: [{ text: "j" }] }] }))) }],
  ];
  for (const timeout of ["soon", "123456789S", "-5m", "5"]) {
    cases.push([`grpc-timeout "${timeout}" (declined)`, { headers: grpcHeaders("bad-timeout-1", { "grpc-timeout": timeout }), body: streamRequest("echo", "t") }]);
  }
  for (const [name, exchange] of cases) {
    it(`answers ${name} as connect does`, async () => {
      const [fastAnswer, connectAnswer] = await both(exchange);
      expect(fastAnswer).toEqual(connectAnswer);
      expect(fastAnswer.status).toBe(200);
    });
  }

  it("ends an oversize request with RESOURCE_EXHAUSTED and MESSAGE_TOO_LARGE, before the engine", async () => {
    const [answer] = await both({ headers: grpcHeaders("oversize-4"), body: oversize });
    expect(answer.body).toBe("");
    expect(status(answer)).toMatchObject({
      code: 8,
      message: `request message is ${oversize.byteLength - 5} bytes, more than the limit of ${maxMessageBytes} bytes (server.maxMessageBytes)`,
      details: ["google.rpc.ErrorInfo"],
    });
    expect(fast.engine.calls.some((call) => call.request.requestId === "oversize-4")).toBe(false);
  });

  it("puts errors, trailers and error metadata into the trailers, after the messages so far", async () => {
    const [before] = await both({ headers: grpcHeaders("error-before-2"), body: streamRequest("test:stream-error-before", "e") });
    expect(before.headers["x-test-header"]).toBe("h");
    expect(before.body).toBe("");
    expect(status(before)).toMatchObject({ code: 9, message: "refused before the first message" });
    expect(before.trailers).toMatchObject({ "x-test-trailer": "t", "x-test-metadata": "m" });
    const [after] = await both({ headers: grpcHeaders("error-after-2"), body: streamRequest("test:stream-error-after", "e") });
    expect(messages(after)).toHaveLength(2);
    expect(status(after)).toMatchObject({ code: 10, message: "refused after two messages" });
    const [plain] = await both({ headers: grpcHeaders("plain-error-2"), body: streamRequest("test:stream-plain-error", "e") });
    expect(messages(plain)).toHaveLength(1);
    expect(status(plain)).toEqual({ code: 13, message: "internal error", details: [] });
    const [trailers] = await both({ headers: grpcHeaders("trailers-2"), body: streamRequest("test:stream-trailers", "t") });
    expect(trailers.headers["x-test-header"]).toBe("h");
    expect(trailers.headers["x-test-late-header"]).toBeUndefined();
    expect(trailers.trailers).toMatchObject({ "grpc-status": "0", "x-test-trailer": "t, u" });
  });

  it("ends an invalid request with INVALID_ARGUMENT and BadRequest details, no messages", async () => {
    const [answer] = await both({ headers: grpcHeaders("invalid-2"), body: invalidRequest });
    expect(answer.body).toBe("");
    expect(status(answer).code).toBe(3);
    expect(status(answer).details).toContain("google.rpc.BadRequest");
  });

  it("compresses a large message when negotiated", async () => {
    const [answer] = await both({ headers: grpcHeaders("large-5", { "grpc-accept-encoding": "gzip" }), body: streamRequest("test:stream-large", "l") });
    expect(answer.headers["grpc-encoding"]).toBe("gzip");
    expect(decodeEnvelopes(Buffer.from(answer.body, "base64")).map((framed) => framed.flags)).toEqual([1]);
    expect(messages(answer).map((message) => message.event.value)).toMatchObject([{ text: "large ".repeat(1_000) }]);
    expect(answer.trailers["x-test-large-trailer"]).toBe("t".repeat(2_000));
  });

  it("ends with DEADLINE_EXCEEDED when grpc-timeout passes mid-stream, as connect does", async () => {
    const exchange = { headers: grpcHeaders("deadline-1", { "grpc-timeout": "250m" }), body: streamRequest("slow", "one two three four five") };
    const [fastAnswer, connectAnswer] = await both(exchange);
    // Which of two timers (the context's, the call scope's) fires first may differ, and with it the
    // message; the status, headers, code and ErrorInfo may not.
    const summary = (answer: Answer) => ({
      status: answer.status,
      headers: answer.headers,
      started: messages(answer).length > 0,
      code: status(answer).code,
      details: status(answer).details,
    });
    expect(summary(fastAnswer)).toEqual(summary(connectAnswer));
    expect(summary(fastAnswer)).toMatchObject({ status: 200, started: true, code: 4 });
  });

  it("sends the head while the implementation waits for its first message, the same frames as connect's", async () => {
    const exchange = { headers: grpcHeaders("waits-first-1"), body: streamRequest("test:stream-waits-first", "w") };
    const probes = fast.probes.length;
    const live = callGrpc(fast.port, exchange);
    const head = await live.head;
    const probe = fast.probes[probes];
    expect(probe.produced).toBe(0);
    expect(head["x-test-header"]).toBe("h");
    probe.open();
    const fastAnswer = await live.answer;
    // connect sends its head with the first message: open its probe as soon as it exists.
    const connectProbes = connect.probes.length;
    const connectLive = callGrpc(connect.port, exchange);
    await waitFor(() => connect.probes.length > connectProbes);
    connect.probes[connectProbes].open();
    expect(fastAnswer).toEqual(await connectLive.answer);
    expect(status(fastAnswer).code).toBe(0);
    expect(messages(fastAnswer)).toHaveLength(1);
  });

  for (const name of ["fast path", "connect"] as const) {
    const variantOf = () => (name === "fast path" ? fast : connect);

    it(`writes each message before asking for the next (${name})`, async () => {
      const variant = variantOf();
      const probes = variant.probes.length;
      const live = callGrpc(variant.port, { headers: grpcHeaders(`gated-${name}`), body: streamRequest("test:stream-gated", "g") });
      const [first] = await live.envelopes(1);
      expect(fromBinary(StreamCompleteResponseSchema, first.data).event).toMatchObject({ case: "textDelta", value: { text: "first " } });
      const probe = variant.probes[probes];
      expect(probe.produced).toBe(1);
      probe.open();
      const answer = await live.answer;
      expect(messages(answer).map((message) => message.event.value)).toMatchObject([{ text: "first " }, { text: "second " }, { text: "third" }]);
      expect(answer.trailers["grpc-status"]).toBe("0");
      await probe.over;
      expect(probe.seen).toEqual(name === "fast path" ? ["ended"] : ["ended", "signal aborted"]);
    });

    it(`aborts the signal and stops the implementation when the client resets the stream mid-stream (${name})`, async () => {
      const variant = variantOf();
      const probes = variant.probes.length;
      const live = callGrpc(variant.port, { headers: grpcHeaders(`gone-${name}`), body: streamRequest("test:stream-gated", "g") });
      await live.envelopes(1);
      const probe = variant.probes[probes];
      live.leave();
      await waitFor(() => probe.seen.includes("signal aborted"));
      // The implementation yields its next message into a stream nobody reads: it must be returned.
      probe.open();
      await probe.over;
      expect(probe.seen).toEqual(["signal aborted", "stopped"]);
      expect(probe.produced).toBe(2);
    });

    it(`aborts the engine's signal with CANCELED when the client resets a waiting stream (${name})`, async () => {
      const variant = variantOf();
      const aborted = variant.engine.aborted();
      const calls = variant.engine.calls.length;
      const live = callGrpc(variant.port, { headers: grpcHeaders(`hang-${name}`), body: streamRequest("hang", "wait") });
      await waitFor(() => variant.engine.calls.length > calls);
      live.leave();
      const reason = await aborted;
      expect(reason).toBeInstanceOf(GatewayError);
      expect((reason as GatewayError).reason).toBe("CANCELED");
    });

    it(`waits for 'drain' while the client does not read, and loses nothing (${name})`, async () => {
      const variant = variantOf();
      const probes = variant.probes.length;
      const live = callGrpc(variant.port, { headers: grpcHeaders(`many-${name}`), body: streamRequest("test:stream-many", "m") });
      await live.envelopes(1);
      live.pause();
      const probe = variant.probes[probes];
      const stalledAt = await whenStalled(probe);
      expect(stalledAt).toBeLessThan(manyMessages.count);
      live.resume();
      const answer = await live.answer;
      expect(messages(answer)).toHaveLength(manyMessages.count);
      expect(answer.trailers["grpc-status"]).toBe("0");
      await probe.over;
      expect(probe.seen[0]).toBe("ended");
    });
  }

  it("returns the implementation when the client resets the stream while it waits for 'drain'", async () => {
    const probes = fast.probes.length;
    const live = callGrpc(fast.port, { headers: grpcHeaders("many-gone-1"), body: streamRequest("test:stream-many", "m") });
    await live.envelopes(1);
    live.pause();
    const probe = fast.probes[probes];
    await whenStalled(probe);
    live.leave();
    await probe.over;
    expect(probe.seen).toEqual(["signal aborted", "stopped"]);
    expect(probe.produced).toBeLessThan(manyMessages.count);
  });

  it("ends a running stream on shutdown with UNAVAILABLE / SHUTTING_DOWN, as connect does", async () => {
    const [fastVariant, connectVariant] = await Promise.all([startGrpcStreamVariant(true), startGrpcStreamVariant(false)]);
    try {
      const answers = await Promise.all(
        [fastVariant, connectVariant].map(async (variant) => {
          const aborted = variant.engine.aborted();
          const answer = post(variant, { headers: grpcHeaders("shutdown-1"), body: streamRequest("hang", "wait") });
          await waitFor(() => variant.engine.calls.length > 0);
          variant.shutDown();
          expect(((await aborted) as GatewayError).reason).toBe("SHUTTING_DOWN");
          return answer;
        }),
      );
      expect(answers[0]).toEqual(answers[1]);
      expect(status(answers[0]).code).toBe(14);
      expect(fastVariant.streamContexts[0]?.protocolName).toBe("grpc");
    } finally {
      await Promise.all([fastVariant.close(), connectVariant.close()]);
    }
  });

  it("serves a grpc-js streaming call, with the same messages, status and details as connect", async () => {
    const results = await Promise.all(
      [fast, connect].map(async (variant) => {
        const client = new GrpcJsGatewayClient(`127.0.0.1:${variant.port}`);
        try {
          const read = async (model: string) => {
            const stream = client.serverStream("StreamComplete", StreamCompleteRequestSchema, StreamCompleteResponseSchema, create(StreamCompleteRequestSchema, { model, messages: [userMessage("alpha beta gamma")] }));
            const received: string[] = [];
            try {
              for await (const event of stream) received.push((event as StreamCompleteResponse).event.case ?? "none");
              return { received, code: grpc.status.OK, details: "" };
            } catch (reason) {
              const error = reason as grpc.ServiceError;
              return { received, code: error.code, details: error.details, statusDetails: error.metadata.get("grpc-status-details-bin").length };
            }
          };
          return { ok: await read("echo"), failed: await read("test:stream-error-after") };
        } finally {
          client.close();
        }
      }),
    );
    expect(results[0]).toEqual(results[1]);
    expect(results[0].ok.code).toBe(grpc.status.OK);
    expect(results[0].ok.received[0]).toBe("start");
    expect(results[0].ok.received.at(-1)).toBe("finish");
    expect(results[0].failed).toMatchObject({ received: ["textDelta", "textDelta"], code: grpc.status.ABORTED, details: "refused after two messages" });
    expect(fast.streamContexts.at(-1)?.protocolName).toBe("grpc");
  });
});
