/**
 * The Connect unary fast path answers exactly as connect does. Two servers run the same service: one
 * with the fast path (the default), one with `connectUnaryFastPath: false` (fast-path-variant.ts), where every call goes
 * through connect's universal handler. Each case sends the same bytes to both, over HTTP/1.1 and h2c,
 * and compares status, headers and body byte for byte; the cases that end in an abort compare what the
 * engine saw.
 */
import { create, toBinary } from "@bufbuild/protobuf";
import http from "node:http";
import http2 from "node:http2";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CompleteRequestSchema } from "../../gen/modelgate/v1/completion_pb.js";
import { Role } from "../../gen/modelgate/v1/content_pb.js";
import { GatewayError } from "../../src/gateway/types.js";
import { startVariant, type Variant } from "./fast-path-variant.js";

const maxMessageBytes = 4096;
const completePath = "/modelgate.v1.GatewayService/Complete";

/** Both variants leave the gRPC and stream fast paths on: they never serve a Connect unary call. */
const startConnectVariant = (fastPath: boolean): Promise<Variant> =>
  startVariant({ connectUnaryFastPath: fastPath, grpcUnaryFastPath: true, connectStreamFastPath: true, grpcStreamFastPath: true }, maxMessageBytes);

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** Headers that differ between any two responses (time, connection management) are left out. */
function comparable(headers: http.IncomingHttpHeaders | http2.IncomingHttpHeaders): Answer["headers"] {
  const kept: Answer["headers"] = {};
  for (const [name, value] of Object.entries(headers)) {
    if (name === "date" || name === "connection" || name === "keep-alive" || name.startsWith(":")) continue;
    kept[name] = value;
  }
  return kept;
}

interface Exchange {
  path?: string;
  headers: Record<string, string>;
  body: string | Uint8Array;
  /** Send the body in two writes without Content-Length (chunked over HTTP/1.1; HTTP/2 never adds one). */
  chunked?: boolean;
}

function postHttp1(port: number, exchange: Exchange): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const request = http.request(
      { host: "127.0.0.1", port, path: exchange.path ?? completePath, method: "POST", headers: exchange.headers, agent: false },
      (response) => {
        const chunks: Buffer[] = [];
        response.on("data", (chunk: Buffer) => chunks.push(chunk));
        response.on("end", () =>
          resolve({ status: response.statusCode ?? 0, headers: comparable(response.headers), body: Buffer.concat(chunks).toString("base64") }),
        );
        response.on("error", reject);
      },
    );
    request.on("error", reject);
    if (exchange.chunked) {
      const bytes = Buffer.from(exchange.body);
      request.write(bytes.subarray(0, bytes.byteLength >> 1));
      request.end(bytes.subarray(bytes.byteLength >> 1));
    } else {
      request.end(exchange.body);
    }
  });
}

function postHttp2(port: number, exchange: Exchange): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const session = http2.connect(`http://127.0.0.1:${port}`);
    session.on("error", reject);
    const stream = session.request({ ":method": "POST", ":path": exchange.path ?? completePath, ...exchange.headers });
    let status = 0;
    let headers: Answer["headers"] = {};
    const chunks: Buffer[] = [];
    stream.on("response", (received) => {
      status = Number(received[":status"]);
      headers = comparable(received);
    });
    stream.on("data", (chunk: Buffer) => chunks.push(chunk));
    stream.on("end", () => {
      session.close();
      resolve({ status, headers, body: Buffer.concat(chunks).toString("base64") });
    });
    stream.on("error", reject);
    stream.end(exchange.body);
  });
}

const transports = { "HTTP/1.1": postHttp1, h2c: postHttp2 } as const;

const userMessage = (text: string) => ({ role: Role.USER, parts: [{ part: { case: "text" as const, value: text } }] });
const jsonMessages = (text: string) => [{ role: "ROLE_USER", parts: [{ text }] }];
const json = (value: unknown) => JSON.stringify(value);
const jsonHeaders = (requestId: string, extra: Record<string, string> = {}) => ({
  "content-type": "application/json",
  "x-request-id": requestId,
  ...extra,
});

function decodedBody(answer: Answer): unknown {
  return JSON.parse(Buffer.from(answer.body, "base64").toString("utf8"));
}

describe("the Connect unary fast path", () => {
  let fast: Variant;
  let connect: Variant;

  beforeAll(async () => {
    [fast, connect] = await Promise.all([startConnectVariant(true), startConnectVariant(false)]);
  });
  afterAll(async () => {
    await Promise.all([fast.close(), connect.close()]);
  });

  for (const [transportName, post] of Object.entries(transports)) {
    describe(transportName, () => {
      /** Sends `exchange` to both servers and returns [fast path's answer, connect's answer]. */
      const both = async (exchange: Exchange): Promise<[Answer, Answer]> => [await post(fast.port, exchange), await post(connect.port, exchange)];

      it("answers a JSON call as connect does, and serves it itself", async () => {
        const [fastAnswer, connectAnswer] = await both({
          headers: jsonHeaders("json-1", { "connect-protocol-version": "1" }),
          body: json({ model: "echo", messages: jsonMessages("hello there") }),
        });
        expect(fastAnswer).toEqual(connectAnswer);
        expect(fastAnswer.status).toBe(200);
        expect(decodedBody(fastAnswer)).toMatchObject({ requestId: "json-1", text: "hello there" });
        // connect aborts every call's signal when it ends; the fast path leaves a finished call's alone.
        expect(connect.contexts.at(-1)?.signal.aborted).toBe(true);
        expect(fast.contexts.at(-1)?.signal.aborted).toBe(false);
        expect(fast.contexts.at(-1)?.protocolName).toBe("connect");
      });

      it("answers a proto call as connect does", async () => {
        const body = toBinary(CompleteRequestSchema, create(CompleteRequestSchema, { model: "echo", messages: [userMessage("binary hello")] }));
        const [fastAnswer, connectAnswer] = await both({ headers: { "content-type": "application/proto", "x-request-id": "proto-1" }, body });
        expect(fastAnswer).toEqual(connectAnswer);
        expect(fastAnswer.status).toBe(200);
        expect(fastAnswer.headers["content-type"]).toBe("application/proto");
        expect(fast.contexts.at(-1)?.signal.aborted).toBe(false);
      });

      it("returns INVALID_ARGUMENT with every field violation as connect does", async () => {
        const [fastAnswer, connectAnswer] = await both({
          headers: jsonHeaders("invalid-1"),
          body: json({ model: "echo", messages: jsonMessages("hi"), sampling: { temperature: 3 }, tools: [{ name: "bad name!" }] }),
        });
        expect(fastAnswer).toEqual(connectAnswer);
        expect(fastAnswer.status).toBe(400);
        expect(decodedBody(fastAnswer)).toMatchObject({ code: "invalid_argument" });
      });

      it("refuses an oversize body without Content-Length with RESOURCE_EXHAUSTED and ErrorInfo as connect does", async () => {
        // HTTP/1.1 sends these two writes chunked; Node's HTTP/2 client never adds Content-Length.
        const [fastAnswer, connectAnswer] = await both({
          headers: jsonHeaders("oversize-1"),
          body: json({ model: "echo", messages: jsonMessages("x".repeat(maxMessageBytes)) }),
          chunked: true,
        });
        expect(fastAnswer).toEqual(connectAnswer);
        expect(fastAnswer.status).toBe(429);
        expect(decodedBody(fastAnswer)).toMatchObject({
          code: "resource_exhausted",
          message: `request message is larger than the limit of ${maxMessageBytes} bytes (server.maxMessageBytes)`,
          details: [{ type: "google.rpc.ErrorInfo", debug: { reason: "MESSAGE_TOO_LARGE" } }],
        });
        expect(fast.engine.calls.some((call) => call.request.requestId === "oversize-1")).toBe(false);
      });

      it("refuses an oversize body by its Content-Length with the size guard's RESOURCE_EXHAUSTED and ErrorInfo", async () => {
        // Not compared with connect: given a Content-Length over readMaxBytes, connect's readAllBytes
        // refuses before it reads the guarded body, with its own bare error (no ErrorInfo). The fast path
        // gives the answer the guard is there to give.
        const body = json({ model: "echo", messages: jsonMessages("x".repeat(maxMessageBytes)) });
        const answer = await post(fast.port, { headers: jsonHeaders("oversize-2", { "content-length": String(Buffer.byteLength(body)) }), body });
        expect(answer.status).toBe(429);
        expect(decodedBody(answer)).toMatchObject({
          code: "resource_exhausted",
          message: `request message is ${Buffer.byteLength(body)} bytes, more than the limit of ${maxMessageBytes} bytes (server.maxMessageBytes)`,
          details: [{ type: "google.rpc.ErrorInfo", debug: { reason: "MESSAGE_TOO_LARGE", metadata: { request_id: "oversize-2" } } }],
        });
      });

      it("ignores an unknown JSON field as connect does", async () => {
        const [fastAnswer, connectAnswer] = await both({
          headers: jsonHeaders("unknown-field-1"),
          body: json({ model: "echo", messages: jsonMessages("still fine"), notAField: { nested: true } }),
        });
        expect(fastAnswer).toEqual(connectAnswer);
        expect(fastAnswer.status).toBe(200);
      });

      it("refuses malformed JSON as connect does", async () => {
        const [fastAnswer, connectAnswer] = await both({ headers: jsonHeaders("malformed-1"), body: '{"model": "echo", "messages": [' });
        expect(fastAnswer).toEqual(connectAnswer);
        expect(fastAnswer.status).toBe(400);
      });

      it("refuses a JSON value of the wrong type as connect does", async () => {
        const [fastAnswer, connectAnswer] = await both({ headers: jsonHeaders("wrong-type-1"), body: json({ model: 42, messages: [] }) });
        expect(fastAnswer).toEqual(connectAnswer);
        expect(fastAnswer.status).toBe(400);
      });

      it("refuses malformed proto as connect does", async () => {
        const [fastAnswer, connectAnswer] = await both({
          headers: { "content-type": "application/proto", "x-request-id": "bad-proto-1" },
          body: new Uint8Array([0x0a, 0xff, 0xff]),
        });
        expect(fastAnswer).toEqual(connectAnswer);
        expect(fastAnswer.status).toBe(500);
      });

      for (const timeout of ["soon", "12345678901", "-5"]) {
        it(`refuses connect-timeout-ms "${timeout}" as connect does`, async () => {
          const [fastAnswer, connectAnswer] = await both({
            headers: jsonHeaders("bad-timeout-1", { "connect-timeout-ms": timeout }),
            body: json({ model: "echo", messages: jsonMessages("hi") }),
          });
          expect(fastAnswer).toEqual(connectAnswer);
          expect(fastAnswer.status).toBe(400);
        });
      }

      it("answers a client's unknown connect-protocol-version as connect does (it does not require the header)", async () => {
        const [fastAnswer, connectAnswer] = await both({
          headers: jsonHeaders("version-2", { "connect-protocol-version": "2" }),
          body: json({ model: "echo", messages: jsonMessages("hi") }),
        });
        expect(fastAnswer).toEqual(connectAnswer);
        expect(fastAnswer.status).toBe(200);
      });

      it("answers DEADLINE_EXCEEDED when connect-timeout-ms passes, as connect does", async () => {
        const exchange = { headers: jsonHeaders("deadline-1", { "connect-timeout-ms": "150" }), body: json({ model: "hang", messages: jsonMessages("wait") }) };
        const fastAborted = fast.engine.aborted();
        const fastAnswer = await post(fast.port, exchange);
        const connectAborted = connect.engine.aborted();
        const connectAnswer = await post(connect.port, exchange);
        // Which of two timers (the context's, the call scope's) fires first may differ, and with it the
        // message; the status, headers, code and ErrorInfo may not.
        expect(fastAnswer.status).toBe(504);
        const withoutBody = (answer: Answer) => ({ ...answer, body: undefined, headers: { ...answer.headers, "content-length": undefined } });
        expect(withoutBody(fastAnswer)).toEqual(withoutBody(connectAnswer));
        const errorSummary = (answer: Answer) => {
          const body = decodedBody(answer) as { code: string; details: { type: string; debug: unknown }[] };
          return { code: body.code, details: body.details.map((detail) => [detail.type, detail.debug]) };
        };
        expect(errorSummary(fastAnswer)).toEqual(errorSummary(connectAnswer));
        expect(await fastAborted).toBeInstanceOf(GatewayError);
        expect(((await fastAborted) as GatewayError).reason).toBe("DEADLINE_EXCEEDED");
        expect(((await connectAborted) as GatewayError).reason).toBe("DEADLINE_EXCEEDED");
      });

      it("sends response headers, trailers (as trailer-*) and a compressed large body as connect does", async () => {
        for (const model of ["test:trailers", "test:large"]) {
          const [fastAnswer, connectAnswer] = await both({
            headers: jsonHeaders(`headers-${model}`, { "accept-encoding": "br, gzip" }),
            body: json({ model, messages: jsonMessages("hi") }),
          });
          expect(fastAnswer).toEqual(connectAnswer);
          expect(fastAnswer.status).toBe(200);
        }
        const [trailers] = await both({ headers: jsonHeaders("trailers-2"), body: json({ model: "test:trailers", messages: [] }) });
        expect(trailers.headers).toMatchObject({ "x-test-header": "h", "trailer-x-test-trailer": "t, u" });
        const [large] = await both({ headers: jsonHeaders("large-2", { "accept-encoding": "gzip" }), body: json({ model: "test:large", messages: [] }) });
        expect(large.headers["content-encoding"]).toBe("gzip");
      });

      it("sends an error's metadata as headers as connect does", async () => {
        const [fastAnswer, connectAnswer] = await both({ headers: jsonHeaders("metadata-1"), body: json({ model: "test:error-metadata", messages: [] }) });
        expect(fastAnswer).toEqual(connectAnswer);
        expect(fastAnswer.status).toBe(400);
        expect(fastAnswer.headers["x-test-metadata"]).toBe("m");
      });

      it("answers ListModels and GetDeploymentStats as connect does", async () => {
        for (const path of ["/modelgate.v1.GatewayService/ListModels", "/modelgate.v1.GatewayService/GetDeploymentStats"]) {
          const [fastAnswer, connectAnswer] = await both({ path, headers: jsonHeaders("catalog-1"), body: "{}" });
          expect(fastAnswer).toEqual(connectAnswer);
          expect(fastAnswer.status).toBe(200);
        }
      });
    });
  }

  it("answers a chunked body within the limit as connect does", async () => {
    const exchange = { headers: jsonHeaders("chunked-1"), body: json({ model: "echo", messages: jsonMessages("in two chunks") }), chunked: true };
    const fastAnswer = await postHttp1(fast.port, exchange);
    expect(fastAnswer).toEqual(await postHttp1(connect.port, exchange));
    expect(fastAnswer.status).toBe(200);
  });

  describe("aborts the engine's signal with CANCELED when the client goes away mid-call", () => {
    const hang = json({ model: "hang", messages: jsonMessages("wait") });
    const waitForCall = async (variant: Variant, count: number) => {
      while (variant.engine.calls.length < count) await new Promise((resolve) => setTimeout(resolve, 5));
    };

    for (const name of ["fast path", "connect"]) {
      it(`over HTTP/1.1 (${name})`, async () => {
        const variant = name === "fast path" ? fast : connect;
        const aborted = variant.engine.aborted();
        const calls = variant.engine.calls.length;
        const request = http.request({ host: "127.0.0.1", port: variant.port, path: completePath, method: "POST", headers: jsonHeaders("gone-1"), agent: false });
        request.on("error", () => undefined);
        request.end(hang);
        await waitForCall(variant, calls + 1);
        request.destroy();
        const reason = await aborted;
        expect(reason).toBeInstanceOf(GatewayError);
        expect((reason as GatewayError).reason).toBe("CANCELED");
      });

      it(`over h2c (${name})`, async () => {
        const variant = name === "fast path" ? fast : connect;
        const aborted = variant.engine.aborted();
        const calls = variant.engine.calls.length;
        const session = http2.connect(`http://127.0.0.1:${variant.port}`);
        const stream = session.request({ ":method": "POST", ":path": completePath, ...jsonHeaders("gone-2") });
        stream.on("error", () => undefined);
        stream.end(hang);
        await waitForCall(variant, calls + 1);
        stream.close(http2.constants.NGHTTP2_CANCEL);
        const reason = await aborted;
        session.close();
        expect((reason as GatewayError).reason).toBe("CANCELED");
      });
    }
  });

  it("aborts a running call on shutdown with UNAVAILABLE / SHUTTING_DOWN, as connect does", async () => {
    const [fastVariant, connectVariant] = await Promise.all([startConnectVariant(true), startConnectVariant(false)]);
    try {
      const answers = await Promise.all(
        [fastVariant, connectVariant].map(async (variant) => {
          const aborted = variant.engine.aborted();
          const answer = postHttp1(variant.port, { headers: jsonHeaders("shutdown-1"), body: json({ model: "hang", messages: jsonMessages("wait") }) });
          while (variant.engine.calls.length === 0) await new Promise((resolve) => setTimeout(resolve, 5));
          variant.shutDown();
          expect(((await aborted) as GatewayError).reason).toBe("SHUTTING_DOWN");
          return answer;
        }),
      );
      expect(answers[0]).toEqual(answers[1]);
      expect(answers[0].status).toBe(503);
    } finally {
      await Promise.all([fastVariant.close(), connectVariant.close()]);
    }
  });
});
