/**
 * The Connect server-streaming fast path answers exactly as connect does. Two servers run the same
 * service: one with the stream fast path (the default), one with `connectStreamFastPath: false`
 * (fast-path-variant.ts), where every stream goes through connect's universal handler. Each case sends
 * the same bytes to both, over HTTP/1.1 and h2c, and compares status, headers and body byte for byte;
 * the cases that depend on timing (a deadline, the client going away, backpressure) compare what the
 * implementation saw.
 */
import { create, toBinary } from "@bufbuild/protobuf";
import http from "node:http";
import http2 from "node:http2";
import { brotliDecompressSync, gunzipSync, gzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Role } from "../../gen/modelgate/v1/content_pb.js";
import { StreamCompleteRequestSchema } from "../../gen/modelgate/v1/stream_pb.js";
import { GatewayError } from "../../src/gateway/types.js";
import { manyMessages, startVariant, type StreamProbe, type Variant } from "./fast-path-variant.js";

const maxMessageBytes = 4096;
const streamPath = "/modelgate.v1.GatewayService/StreamComplete";

/** Both variants leave the unary fast paths on: they never serve a stream. */
const startStreamVariant = (fastPath: boolean): Promise<Variant> =>
  startVariant({ connectUnaryFastPath: true, grpcUnaryFastPath: true, connectStreamFastPath: fastPath, grpcStreamFastPath: true }, maxMessageBytes);

type HeaderMap = Record<string, string | string[] | undefined>;

interface Answer {
  status: number;
  headers: HeaderMap;
  body: string;
}

/** Headers that differ between any two responses (time, connection management) are left out. */
function comparable(headers: http.IncomingHttpHeaders | http2.IncomingHttpHeaders): HeaderMap {
  const kept: HeaderMap = {};
  for (const [name, value] of Object.entries(headers)) {
    if (name === "date" || name === "connection" || name === "keep-alive" || name.startsWith(":")) continue;
    kept[name] = value;
  }
  return kept;
}

interface Exchange {
  method?: string;
  headers: Record<string, string>;
  body: Uint8Array;
}

/** A call in progress: its envelopes as they arrive, and ways to stall or leave it. */
interface LiveCall {
  /** Resolves once at least `count` complete envelopes have arrived. */
  envelopes(count: number): Promise<Envelope[]>;
  pause(): void;
  resume(): void;
  /** The client goes away: the connection is destroyed (HTTP/1.1) or the stream cancelled (h2c). */
  leave(): void;
  /** The response head, as soon as it arrives. */
  readonly head: Promise<HeaderMap>;
  /** The whole answer, once the response has ended. */
  readonly answer: Promise<Answer>;
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

function callHttp1(port: number, exchange: Exchange): LiveCall {
  const collector = createCollector();
  let received: http.IncomingMessage | undefined;
  let request: http.ClientRequest | undefined;
  let headArrived = (_head: HeaderMap): void => undefined;
  const head = new Promise<HeaderMap>((resolve) => (headArrived = resolve));
  const answer = new Promise<Answer>((resolve, reject) => {
    request = http.request(
      { host: "127.0.0.1", port, path: streamPath, method: exchange.method ?? "POST", headers: exchange.headers, agent: false },
      (response) => {
        received = response;
        headArrived(comparable(response.headers));
        response.on("data", (chunk: Buffer) => collector.push(chunk));
        response.on("end", () =>
          resolve({ status: response.statusCode ?? 0, headers: comparable(response.headers), body: collector.body().toString("base64") }),
        );
        response.on("error", reject);
      },
    );
    request.on("error", reject);
    request.end(exchange.body);
  });
  return {
    envelopes: (count) => collector.envelopes(count),
    pause: () => received?.pause(),
    resume: () => received?.resume(),
    leave() {
      answer.catch(() => undefined);
      request?.destroy();
    },
    head,
    answer,
  };
}

function callHttp2(port: number, exchange: Exchange): LiveCall {
  const collector = createCollector();
  const session = http2.connect(`http://127.0.0.1:${port}`);
  const stream = session.request({ ":method": exchange.method ?? "POST", ":path": streamPath, ...exchange.headers });
  let headArrived = (_head: HeaderMap): void => undefined;
  const head = new Promise<HeaderMap>((resolve) => (headArrived = resolve));
  const answer = new Promise<Answer>((resolve, reject) => {
    session.on("error", reject);
    let status = 0;
    let headers: HeaderMap = {};
    stream.on("response", (received) => {
      status = Number(received[":status"]);
      headers = comparable(received);
      headArrived(headers);
    });
    stream.on("data", (chunk: Buffer) => collector.push(chunk));
    stream.on("end", () => {
      session.close();
      resolve({ status, headers, body: collector.body().toString("base64") });
    });
    stream.on("error", reject);
    // Node's client ends a GET's stream itself.
    if (!stream.writableEnded) stream.end(exchange.body);
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

const transports = { "HTTP/1.1": callHttp1, h2c: callHttp2 } as const;

const userMessage = (text: string) => ({ role: Role.USER, parts: [{ part: { case: "text" as const, value: text } }] });
const jsonMessages = (text: string) => [{ role: "ROLE_USER", parts: [{ text }] }];

function envelope(data: Uint8Array | string, flags = 0): Uint8Array {
  const bytes = typeof data === "string" ? Buffer.from(data) : data;
  const framed = new Uint8Array(bytes.byteLength + 5);
  framed[0] = flags;
  new DataView(framed.buffer).setUint32(1, bytes.byteLength);
  framed.set(bytes, 5);
  return framed;
}

const jsonRequest = (model: string, text: string, extra: Record<string, unknown> = {}) =>
  envelope(JSON.stringify({ model, messages: jsonMessages(text), ...extra }));

function protoRequest(model: string, text: string): Uint8Array {
  return envelope(toBinary(StreamCompleteRequestSchema, create(StreamCompleteRequestSchema, { model, messages: [userMessage(text)] })));
}

const concat = (...parts: Uint8Array[]): Uint8Array => new Uint8Array(Buffer.concat(parts));

const jsonHeaders = (requestId: string, extra: Record<string, string> = {}) => ({
  "content-type": "application/connect+json",
  "x-request-id": requestId,
  ...extra,
});

/** The answer's envelopes, each decompressed when its flag says so, with the end-stream message parsed. */
function decodeAnswer(answer: Answer): { messages: unknown[]; end: { error?: { code: string; message?: string; details?: { type: string; debug?: unknown }[] }; metadata?: Record<string, string[]> } } {
  const encoding = answer.headers["connect-content-encoding"];
  const envelopes = decodeEnvelopes(Buffer.from(answer.body, "base64")).map(({ flags, data }) => {
    if ((flags & 1) === 0) return { flags, data };
    return { flags, data: encoding === "br" ? brotliDecompressSync(data) : gunzipSync(data) };
  });
  const last = envelopes.at(-1);
  if (last === undefined || (last.flags & 2) === 0) throw new Error("the answer has no end-stream message");
  return {
    messages: envelopes.slice(0, -1).map(({ data }) => JSON.parse(data.toString("utf8")) as unknown),
    end: JSON.parse(last.data.toString("utf8")) as ReturnType<typeof decodeAnswer>["end"],
  };
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

describe("the Connect stream fast path", () => {
  let fast: Variant;
  let connect: Variant;

  beforeAll(async () => {
    [fast, connect] = await Promise.all([startStreamVariant(true), startStreamVariant(false)]);
  });
  afterAll(async () => {
    await Promise.all([fast.close(), connect.close()]);
  });

  for (const [transportName, call] of Object.entries(transports)) {
    describe(transportName, () => {
      const post = (variant: Variant, exchange: Exchange): Promise<Answer> => call(variant.port, exchange).answer;
      /** Sends `exchange` to both servers and returns [fast path's answer, connect's answer]. */
      const both = async (exchange: Exchange): Promise<[Answer, Answer]> => [await post(fast, exchange), await post(connect, exchange)];

      it("answers a JSON stream as connect does, and serves it itself", async () => {
        const [fastAnswer, connectAnswer] = await both({
          headers: jsonHeaders("json-1", { "connect-protocol-version": "1" }),
          body: jsonRequest("echo", "hello there from a stream"),
        });
        expect(fastAnswer).toEqual(connectAnswer);
        expect(fastAnswer.status).toBe(200);
        expect(fastAnswer.headers["content-type"]).toBe("application/connect+json");
        const { messages, end } = decodeAnswer(fastAnswer);
        expect(messages[0]).toMatchObject({ start: { requestId: "json-1" } });
        expect(messages.at(-1)).toHaveProperty("finish");
        expect(end).toEqual({});
        // connect aborts every call's signal when it ends; the fast path leaves a finished call's alone.
        expect(connect.streamContexts.at(-1)?.signal.aborted).toBe(true);
        expect(fast.streamContexts.at(-1)?.signal.aborted).toBe(false);
        expect(fast.streamContexts.at(-1)?.protocolName).toBe("connect");
      });

      it("answers a proto stream as connect does", async () => {
        const [fastAnswer, connectAnswer] = await both({
          headers: { "content-type": "application/connect+proto", "x-request-id": "proto-1", "connect-timeout-ms": "5000" },
          body: protoRequest("echo", "binary hello"),
        });
        expect(fastAnswer).toEqual(connectAnswer);
        expect(fastAnswer.headers["content-type"]).toBe("application/connect+proto");
        expect(fast.streamContexts.at(-1)?.signal.aborted).toBe(false);
      });

      it("answers JSON with a charset as connect does", async () => {
        const [fastAnswer, connectAnswer] = await both({
          headers: jsonHeaders("charset-1", { "content-type": "application/connect+json; charset=utf-8" }),
          body: jsonRequest("echo", "with a charset"),
        });
        expect(fastAnswer).toEqual(connectAnswer);
        expect(fast.streamContexts.at(-1)?.signal.aborted).toBe(false);
      });

      const oversize = jsonRequest("echo", "x".repeat(maxMessageBytes));
      const cases: [string, Exchange][] = [
        ["an oversize message (its envelope's length)", { headers: jsonHeaders("oversize-1"), body: oversize }],
        ["an oversize message by Content-Length", { headers: jsonHeaders("oversize-2", { "content-length": String(oversize.byteLength) }), body: oversize }],
        ["a second envelope over readMaxBytes", { headers: jsonHeaders("oversize-3"), body: concat(jsonRequest("echo", "a"), new Uint8Array([0, 0, 1, 0, 0])) }],
        ["malformed JSON", { headers: jsonHeaders("malformed-1"), body: envelope('{"model": "echo", "messages": [') }],
        ["a JSON value of the wrong type", { headers: jsonHeaders("wrong-type-1"), body: envelope(JSON.stringify({ model: 42 })) }],
        ["an unknown JSON field (ignored)", { headers: jsonHeaders("unknown-1"), body: jsonRequest("echo", "still fine", { notAField: { nested: true } }) }],
        ["malformed proto", { headers: { "content-type": "application/connect+proto", "x-request-id": "bad-proto-1" }, body: envelope(new Uint8Array([0x0a, 0xff, 0xff])) }],
        ["an empty body", { headers: jsonHeaders("empty-1"), body: new Uint8Array(0) }],
        ["a lone envelope header", { headers: jsonHeaders("header-only-1"), body: new Uint8Array([0, 0, 0, 0, 9]) }],
        ["an incomplete envelope", { headers: jsonHeaders("incomplete-1"), body: jsonRequest("echo", "cut").subarray(0, 12) }],
        ["two messages", { headers: jsonHeaders("two-1"), body: concat(jsonRequest("echo", "a"), jsonRequest("echo", "b")) }],
        ["only an end-stream envelope", { headers: jsonHeaders("end-only-1"), body: envelope("{}", 2) }],
        ["a message and an end-stream envelope", { headers: jsonHeaders("end-after-1"), body: concat(jsonRequest("echo", "then end"), envelope("{}", 2)) }],
        ["a compressed envelope without connect-content-encoding", { headers: jsonHeaders("compressed-1"), body: envelope(gzipSync(Buffer.from("{}")), 1) }],
        ["an invalid request (field violations)", { headers: jsonHeaders("invalid-1"), body: jsonRequest("echo", "hi", { sampling: { temperature: 3 } }) }],
        ["an engine failure before the first message", { headers: jsonHeaders("fail-1"), body: jsonRequest("fail:PROVIDER_UNAVAILABLE", "f") }],
        ["a plain Error from the engine", { headers: jsonHeaders("boom-1"), body: jsonRequest("boom", "b") }],
        ["an error with metadata before the first message", { headers: jsonHeaders("error-before-1"), body: jsonRequest("test:stream-error-before", "e") }],
        ["an error with metadata after two messages", { headers: jsonHeaders("error-after-1"), body: jsonRequest("test:stream-error-after", "e") }],
        ["a plain Error thrown after a message (bare internal error)", { headers: jsonHeaders("plain-error-1"), body: jsonRequest("test:stream-plain-error", "e") }],
        ["response headers and trailers", { headers: jsonHeaders("trailers-1"), body: jsonRequest("test:stream-trailers", "t") }],
        ["a large message without compression", { headers: jsonHeaders("large-1"), body: jsonRequest("test:stream-large", "l") }],
        ["a large message with gzip negotiated", { headers: jsonHeaders("large-2", { "connect-accept-encoding": "gzip" }), body: jsonRequest("test:stream-large", "l") }],
        ["a large message with br negotiated", { headers: jsonHeaders("large-3", { "connect-accept-encoding": "zstd, br, gzip" }), body: jsonRequest("test:stream-large", "l") }],
        ["a small stream with compression negotiated", { headers: jsonHeaders("small-gzip-1", { "connect-accept-encoding": "gzip" }), body: jsonRequest("echo", "small") }],
        ["connect-content-encoding identity", { headers: jsonHeaders("identity-1", { "connect-content-encoding": "identity" }), body: jsonRequest("echo", "plain") }],
        // Declined: connect serves these, so the answers agree by construction; they must still be right.
        ["a compressed request (declined)", { headers: jsonHeaders("gzip-1", { "connect-content-encoding": "gzip" }), body: envelope(gzipSync(jsonRequest("echo", "zipped").subarray(5)), 1) }],
        ["an unknown connect-content-encoding (declined)", { headers: jsonHeaders("zstd-1", { "connect-content-encoding": "zstd" }), body: jsonRequest("echo", "z") }],
        ["an unknown connect-protocol-version (declined)", { headers: jsonHeaders("version-2", { "connect-protocol-version": "2" }), body: jsonRequest("echo", "v") }],
        ["a unary content type (declined)", { headers: jsonHeaders("unary-type-1", { "content-type": "application/json" }), body: jsonRequest("echo", "u") }],
        ["GET (declined)", { method: "GET", headers: jsonHeaders("get-1"), body: new Uint8Array(0) }],
      ];
      for (const timeout of ["soon", "12345678901", "-5"]) {
        cases.push([`connect-timeout-ms "${timeout}" (declined)`, { headers: jsonHeaders("bad-timeout-1", { "connect-timeout-ms": timeout }), body: jsonRequest("echo", "t") }]);
      }
      for (const [name, exchange] of cases) {
        it(`answers ${name} as connect does`, async () => {
          const [fastAnswer, connectAnswer] = await both(exchange);
          expect(fastAnswer).toEqual(connectAnswer);
        });
      }

      it("ends an oversize request with RESOURCE_EXHAUSTED and MESSAGE_TOO_LARGE, before the engine", async () => {
        const [answer] = await both({ headers: jsonHeaders("oversize-4"), body: oversize });
        expect(answer.status).toBe(200);
        expect(decodeAnswer(answer).end.error).toMatchObject({
          code: "resource_exhausted",
          message: `request message is ${oversize.byteLength - 5} bytes, more than the limit of ${maxMessageBytes} bytes (server.maxMessageBytes)`,
          details: [{ type: "google.rpc.ErrorInfo", debug: { reason: "MESSAGE_TOO_LARGE" } }],
        });
        expect(fast.engine.calls.some((engineCall) => engineCall.request.requestId === "oversize-4")).toBe(false);
      });

      it("puts errors, trailers and error metadata into the end-stream message, status 200", async () => {
        const [before] = await both({ headers: jsonHeaders("error-before-2"), body: jsonRequest("test:stream-error-before", "e") });
        expect(before.status).toBe(200);
        expect(before.headers["x-test-header"]).toBe("h");
        expect(decodeAnswer(before)).toEqual({
          messages: [],
          end: { error: { code: "failed_precondition", message: "refused before the first message" }, metadata: { "x-test-trailer": ["t"], "x-test-metadata": ["m"] } },
        });
        const [after] = await both({ headers: jsonHeaders("error-after-2"), body: jsonRequest("test:stream-error-after", "e") });
        expect(decodeAnswer(after).messages).toHaveLength(2);
        expect(decodeAnswer(after).end.error?.code).toBe("aborted");
        const [plain] = await both({ headers: jsonHeaders("plain-error-2"), body: jsonRequest("test:stream-plain-error", "e") });
        expect(decodeAnswer(plain).end).toEqual({ error: { code: "internal", message: "internal error" } });
        const [trailers] = await both({ headers: jsonHeaders("trailers-2"), body: jsonRequest("test:stream-trailers", "t") });
        expect(trailers.headers["x-test-header"]).toBe("h");
        expect(trailers.headers["x-test-late-header"]).toBeUndefined();
        expect(decodeAnswer(trailers).end).toEqual({ metadata: { "x-test-trailer": ["t, u"] } });
      });

      it("compresses large messages and the end-stream message when negotiated", async () => {
        const [answer] = await both({ headers: jsonHeaders("large-4", { "connect-accept-encoding": "gzip" }), body: jsonRequest("test:stream-large", "l") });
        expect(answer.headers["connect-content-encoding"]).toBe("gzip");
        const flags = decodeEnvelopes(Buffer.from(answer.body, "base64")).map((framed) => framed.flags);
        expect(flags).toEqual([1, 3]);
        expect(decodeAnswer(answer).messages).toEqual([{ textDelta: { text: "large ".repeat(1_000) } }]);
      });

      it("ends with DEADLINE_EXCEEDED when connect-timeout-ms passes mid-stream, as connect does", async () => {
        const exchange = { headers: jsonHeaders("deadline-1", { "connect-timeout-ms": "250" }), body: jsonRequest("slow", "one two three four five") };
        const [fastAnswer, connectAnswer] = await both(exchange);
        // Which of two timers (the context's, the call scope's) fires first may differ, and with it the
        // message; the status, headers, code and ErrorInfo may not.
        const summary = (answer: Answer) => {
          const { messages, end } = decodeAnswer(answer);
          return {
            status: answer.status,
            headers: answer.headers,
            started: messages.length > 0,
            code: end.error?.code,
            details: end.error?.details?.map((detail) => [detail.type, detail.debug]),
          };
        };
        expect(summary(fastAnswer)).toEqual(summary(connectAnswer));
        expect(summary(fastAnswer)).toMatchObject({ status: 200, started: true, code: "deadline_exceeded" });
      });

      it("sends the head while the implementation waits for its first message, the same bytes as connect's", async () => {
        const exchange = { headers: jsonHeaders("waits-first-1"), body: jsonRequest("test:stream-waits-first", "w") };
        const probes = fast.probes.length;
        const live = call(fast.port, exchange);
        const head = await live.head;
        const probe = fast.probes[probes];
        expect(probe.produced).toBe(0);
        expect(head["x-test-header"]).toBe("h");
        probe.open();
        const fastAnswer = await live.answer;
        // connect sends its head with the first message: open its probe as soon as it exists.
        const connectProbes = connect.probes.length;
        const connectLive = call(connect.port, exchange);
        await waitFor(() => connect.probes.length > connectProbes);
        connect.probes[connectProbes].open();
        expect(fastAnswer).toEqual(await connectLive.answer);
        expect(decodeAnswer(fastAnswer).messages).toEqual([{ textDelta: { text: "after the wait" } }]);
      });

      for (const name of ["fast path", "connect"] as const) {
        const variantOf = () => (name === "fast path" ? fast : connect);

        it(`writes each message before asking for the next (${name})`, async () => {
          const variant = variantOf();
          const probes = variant.probes.length;
          const live = call(variant.port, { headers: jsonHeaders(`gated-${name}`), body: jsonRequest("test:stream-gated", "g") });
          const [first] = await live.envelopes(1);
          expect(JSON.parse(first.data.toString("utf8"))).toEqual({ textDelta: { text: "first " } });
          const probe = variant.probes[probes];
          expect(probe.produced).toBe(1);
          probe.open();
          const answer = await live.answer;
          expect(decodeAnswer(answer).messages).toEqual([{ textDelta: { text: "first " } }, { textDelta: { text: "second " } }, { textDelta: { text: "third" } }]);
          await probe.over;
          expect(probe.seen).toEqual(name === "fast path" ? ["ended"] : ["ended", "signal aborted"]);
        });

        it(`aborts the signal and stops the implementation when the client goes away mid-stream (${name})`, async () => {
          const variant = variantOf();
          const probes = variant.probes.length;
          const live = call(variant.port, { headers: jsonHeaders(`gone-${name}`), body: jsonRequest("test:stream-gated", "g") });
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

        it(`aborts the engine's signal with CANCELED when the client leaves a waiting stream (${name})`, async () => {
          const variant = variantOf();
          const aborted = variant.engine.aborted();
          const calls = variant.engine.calls.length;
          const live = call(variant.port, { headers: jsonHeaders(`hang-${name}`), body: jsonRequest("hang", "wait") });
          await waitFor(() => variant.engine.calls.length > calls);
          live.leave();
          const reason = await aborted;
          expect(reason).toBeInstanceOf(GatewayError);
          expect((reason as GatewayError).reason).toBe("CANCELED");
        });

        it(`waits for 'drain' while the client does not read, and loses nothing (${name})`, async () => {
          const variant = variantOf();
          const probes = variant.probes.length;
          const live = call(variant.port, { headers: jsonHeaders(`many-${name}`), body: jsonRequest("test:stream-many", "m") });
          await live.envelopes(1);
          live.pause();
          const probe = variant.probes[probes];
          const stalledAt = await whenStalled(probe);
          expect(stalledAt).toBeLessThan(manyMessages.count);
          live.resume();
          const answer = await live.answer;
          const { messages, end } = decodeAnswer(answer);
          expect(messages).toHaveLength(manyMessages.count);
          expect(end).toEqual({});
          await probe.over;
          expect(probe.seen[0]).toBe("ended");
        });
      }

      it("returns the implementation when the client goes away while the stream waits for 'drain'", async () => {
        const probes = fast.probes.length;
        const live = call(fast.port, { headers: jsonHeaders("many-gone-1"), body: jsonRequest("test:stream-many", "m") });
        await live.envelopes(1);
        live.pause();
        const probe = fast.probes[probes];
        await whenStalled(probe);
        live.leave();
        await probe.over;
        expect(probe.seen).toEqual(["signal aborted", "stopped"]);
        expect(probe.produced).toBeLessThan(manyMessages.count);
      });
    });
  }

  it("ends a running stream on shutdown with UNAVAILABLE / SHUTTING_DOWN, as connect does", async () => {
    const [fastVariant, connectVariant] = await Promise.all([startStreamVariant(true), startStreamVariant(false)]);
    try {
      const answers = await Promise.all(
        [fastVariant, connectVariant].map(async (variant) => {
          const aborted = variant.engine.aborted();
          const answer = callHttp1(variant.port, { headers: jsonHeaders("shutdown-1"), body: jsonRequest("hang", "wait") }).answer;
          await waitFor(() => variant.engine.calls.length > 0);
          variant.shutDown();
          expect(((await aborted) as GatewayError).reason).toBe("SHUTTING_DOWN");
          return answer;
        }),
      );
      expect(answers[0]).toEqual(answers[1]);
      expect(decodeAnswer(answers[0]).end.error?.code).toBe("unavailable");
    } finally {
      await Promise.all([fastVariant.close(), connectVariant.close()]);
    }
  });
});
