/**
 * The gRPC unary fast path answers exactly as connect does. Two servers run the same service: one with
 * the fast path (the default), one with `grpcUnaryFastPath: false`, where every gRPC call goes through
 * connect's gRPC handler. Each case sends the same raw HTTP/2 gRPC request to both and compares status,
 * headers, body bytes and trailers; the cases that end in an abort compare what the engine saw.
 */
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { findTrailerError } from "@connectrpc/connect/protocol-grpc";
import * as grpc from "@grpc/grpc-js";
import http2 from "node:http2";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CompleteRequestSchema, CompleteResponseSchema } from "../../gen/modelgate/v1/completion_pb.js";
import { Role } from "../../gen/modelgate/v1/content_pb.js";
import { GatewayError } from "../../src/gateway/types.js";
import { GrpcJsGatewayClient } from "./clients.js";
import { startVariant, type Variant } from "./fast-path-variant.js";

const maxMessageBytes = 4096;
const completePath = "/modelgate.v1.GatewayService/Complete";

/** Both variants leave the Connect fast paths on: they never serve a gRPC call. */
const startGrpcVariant = (fastPath: boolean): Promise<Variant> =>
  startVariant({ connectUnaryFastPath: true, grpcUnaryFastPath: fastPath, connectStreamFastPath: true, grpcStreamFastPath: true }, maxMessageBytes);

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
  path?: string;
  headers: Record<string, string>;
  body: Uint8Array;
}

function postGrpc(port: number, exchange: Exchange): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const session = http2.connect(`http://127.0.0.1:${port}`);
    session.on("error", reject);
    const stream = session.request({ ":method": "POST", ":path": exchange.path ?? completePath, te: "trailers", ...exchange.headers });
    let status = 0;
    let headers: HeaderMap = {};
    let trailers: HeaderMap = {};
    const chunks: Buffer[] = [];
    stream.on("response", (received) => {
      status = Number(received[":status"]);
      headers = comparable(received);
    });
    stream.on("trailers", (received) => {
      trailers = comparable(received);
    });
    stream.on("data", (chunk: Buffer) => chunks.push(chunk));
    stream.on("end", () => {
      session.close();
      resolve({ status, headers, body: Buffer.concat(chunks).toString("base64"), trailers });
    });
    stream.on("error", reject);
    stream.end(exchange.body);
  });
}

const userMessage = (text: string) => ({ role: Role.USER, parts: [{ part: { case: "text" as const, value: text } }] });

function envelope(data: Uint8Array, flags = 0): Uint8Array {
  const bytes = new Uint8Array(data.byteLength + 5);
  bytes[0] = flags;
  new DataView(bytes.buffer).setUint32(1, data.byteLength);
  bytes.set(data, 5);
  return bytes;
}

function completeRequest(model: string, text: string): Uint8Array {
  return toBinary(CompleteRequestSchema, create(CompleteRequestSchema, { model, messages: [userMessage(text)] }));
}

const grpcHeaders = (requestId: string, extra: Record<string, string> = {}) => ({
  "content-type": "application/grpc",
  "x-request-id": requestId,
  ...extra,
});

function concat(...parts: Uint8Array[]): Uint8Array {
  return new Uint8Array(Buffer.concat(parts));
}

/** The call's status as a gRPC client reads it from the trailers (details decoded from grpc-status-details-bin). */
function status(answer: Answer): { code: number; message: string; details: string[] } {
  const trailer = new Headers();
  for (const [name, value] of Object.entries(answer.trailers)) if (typeof value === "string") trailer.set(name, value);
  const error = findTrailerError(trailer);
  return { code: error?.code ?? 0, message: error?.rawMessage ?? "", details: (error?.details ?? []).map((detail) => ("type" in detail ? detail.type : detail.desc.typeName)) };
}

describe("the gRPC unary fast path", () => {
  let fast: Variant;
  let connect: Variant;

  beforeAll(async () => {
    [fast, connect] = await Promise.all([startGrpcVariant(true), startGrpcVariant(false)]);
  });
  afterAll(async () => {
    await Promise.all([fast.close(), connect.close()]);
  });

  /** Sends `exchange` to both servers and returns [fast path's answer, connect's answer]. */
  const both = async (exchange: Exchange): Promise<[Answer, Answer]> => [await postGrpc(fast.port, exchange), await postGrpc(connect.port, exchange)];

  it("answers a call as connect does, and serves it itself", async () => {
    const [fastAnswer, connectAnswer] = await both({ headers: grpcHeaders("grpc-1"), body: envelope(completeRequest("echo", "hello there")) });
    expect(fastAnswer).toEqual(connectAnswer);
    expect(fastAnswer.status).toBe(200);
    expect(fastAnswer.headers["content-type"]).toBe("application/grpc+proto");
    expect(fastAnswer.trailers["grpc-status"]).toBe("0");
    const response = fromBinary(CompleteResponseSchema, Buffer.from(fastAnswer.body, "base64").subarray(5));
    expect(response).toMatchObject({ requestId: "grpc-1", text: "hello there" });
    // connect aborts every call's signal when it ends; the fast path leaves a finished call's alone.
    expect(connect.contexts.at(-1)?.signal.aborted).toBe(true);
    expect(fast.contexts.at(-1)?.signal.aborted).toBe(false);
    expect(fast.contexts.at(-1)?.protocolName).toBe("grpc");
  });

  it("answers application/grpc+proto with a valid grpc-timeout as connect does", async () => {
    const [fastAnswer, connectAnswer] = await both({
      headers: grpcHeaders("grpc-2", { "content-type": "application/grpc+proto", "grpc-timeout": "5S", "grpc-encoding": "identity" }),
      body: envelope(completeRequest("echo", "typed")),
    });
    expect(fastAnswer).toEqual(connectAnswer);
    expect(fastAnswer.trailers["grpc-status"]).toBe("0");
    expect(fast.contexts.at(-1)?.signal.aborted).toBe(false);
  });

  it("returns INVALID_ARGUMENT with grpc-status-details-bin as connect does", async () => {
    const body = toBinary(
      CompleteRequestSchema,
      create(CompleteRequestSchema, { model: "echo", messages: [userMessage("hi")], sampling: { temperature: 3 }, tools: [{ name: "bad name!" }] }),
    );
    const [fastAnswer, connectAnswer] = await both({ headers: grpcHeaders("invalid-1"), body: envelope(body) });
    expect(fastAnswer).toEqual(connectAnswer);
    expect(status(fastAnswer).code).toBe(3);
    expect(status(fastAnswer).details).toContain("google.rpc.BadRequest");
    expect(status(fastAnswer).details).toContain("google.rpc.ErrorInfo");
  });

  const oversize = envelope(completeRequest("echo", "x".repeat(maxMessageBytes)));
  const refusals: [string, Exchange][] = [
    ["an oversize message (its envelope's length)", { headers: grpcHeaders("oversize-1"), body: oversize }],
    ["an oversize message by Content-Length", { headers: grpcHeaders("oversize-2", { "content-length": String(oversize.byteLength) }), body: oversize }],
    [
      "a second envelope over readMaxBytes",
      { headers: grpcHeaders("oversize-3"), body: concat(envelope(completeRequest("echo", "a")), new Uint8Array([0, 0, 1, 0, 0])) },
    ],
    ["malformed protobuf", { headers: grpcHeaders("bad-proto-1"), body: envelope(new Uint8Array([0x0a, 0xff, 0xff])) }],
    ["an empty body", { headers: grpcHeaders("empty-1"), body: new Uint8Array(0) }],
    ["a lone envelope header", { headers: grpcHeaders("header-only-1"), body: new Uint8Array([0, 0, 0, 0, 9]) }],
    ["an incomplete envelope", { headers: grpcHeaders("incomplete-1"), body: envelope(completeRequest("echo", "cut")).subarray(0, 12) }],
    ["two messages", { headers: grpcHeaders("two-1"), body: concat(envelope(completeRequest("echo", "a")), envelope(completeRequest("echo", "b"))) }],
    ["a compressed envelope without grpc-encoding", { headers: grpcHeaders("compressed-1"), body: envelope(completeRequest("echo", "z"), 1) }],
    ["an unknown grpc-encoding", { headers: grpcHeaders("zstd-1", { "grpc-encoding": "zstd" }), body: envelope(completeRequest("echo", "z")) }],
    ["grpc-web", { headers: grpcHeaders("web-1", { "content-type": "application/grpc-web+proto" }), body: envelope(completeRequest("echo", "w")) }],
    ["an engine failure", { headers: grpcHeaders("fail-1"), body: envelope(completeRequest("fail:UNAVAILABLE", "f")) }],
    ["a plain Error thrown by the engine", { headers: grpcHeaders("boom-1"), body: envelope(completeRequest("boom", "b")) }],
    ["an error with metadata", { headers: grpcHeaders("metadata-1"), body: envelope(completeRequest("test:error-metadata", "m")) }],
  ];
  for (const timeout of ["soon", "123456789S", "-5m", "5"]) {
    refusals.push([`grpc-timeout "${timeout}"`, { headers: grpcHeaders("bad-timeout-1", { "grpc-timeout": timeout }), body: envelope(completeRequest("echo", "t")) }]);
  }
  for (const [name, exchange] of refusals) {
    it(`answers ${name} as connect does`, async () => {
      const [fastAnswer, connectAnswer] = await both(exchange);
      expect(fastAnswer).toEqual(connectAnswer);
      expect(fastAnswer.trailers["grpc-status"] ?? fastAnswer.headers["grpc-status"]).not.toBe("0");
    });
  }

  it("refuses an oversize message with RESOURCE_EXHAUSTED and MESSAGE_TOO_LARGE, before the engine", async () => {
    const [answer] = await both({ headers: grpcHeaders("oversize-4"), body: oversize });
    expect(status(answer)).toMatchObject({
      code: 8,
      message: `request message is ${oversize.byteLength - 5} bytes, more than the limit of ${maxMessageBytes} bytes (server.maxMessageBytes)`,
      details: ["google.rpc.ErrorInfo"],
    });
    expect(fast.engine.calls.some((call) => call.request.requestId === "oversize-4")).toBe(false);
  });

  it("answers grpc-encoding gzip on an uncompressed message as connect does (connect serves it)", async () => {
    const [fastAnswer, connectAnswer] = await both({ headers: grpcHeaders("gzip-1", { "grpc-encoding": "gzip" }), body: envelope(completeRequest("echo", "g")) });
    expect(fastAnswer).toEqual(connectAnswer);
    expect(fastAnswer.trailers["grpc-status"]).toBe("0");
  });

  it("sends response headers, trailers and a compressed large message as connect does", async () => {
    for (const model of ["test:trailers", "test:large"]) {
      for (const accepted of [undefined, "identity,deflate,gzip", "br", "deflate"]) {
        const extra: Record<string, string> = accepted === undefined ? {} : { "grpc-accept-encoding": accepted };
        const [fastAnswer, connectAnswer] = await both({ headers: grpcHeaders(`headers-${model}`, extra), body: envelope(completeRequest(model, "hi")) });
        expect(fastAnswer).toEqual(connectAnswer);
        expect(fastAnswer.trailers["grpc-status"]).toBe("0");
      }
    }
    const [trailers] = await both({ headers: grpcHeaders("trailers-2"), body: envelope(completeRequest("test:trailers", "hi")) });
    expect(trailers.headers["x-test-header"]).toBe("h");
    expect(trailers.trailers["x-test-trailer"]).toBe("t, u");
    const [large] = await both({ headers: grpcHeaders("large-2", { "grpc-accept-encoding": "gzip" }), body: envelope(completeRequest("test:large", "hi")) });
    expect(large.headers["grpc-encoding"]).toBe("gzip");
    expect(Buffer.from(large.body, "base64")[0]).toBe(1);
  });

  it("answers ListModels and GetDeploymentStats as connect does", async () => {
    for (const path of ["/modelgate.v1.GatewayService/ListModels", "/modelgate.v1.GatewayService/GetDeploymentStats"]) {
      const [fastAnswer, connectAnswer] = await both({ path, headers: grpcHeaders("catalog-1"), body: envelope(new Uint8Array(0)) });
      expect(fastAnswer).toEqual(connectAnswer);
      expect(fastAnswer.trailers["grpc-status"]).toBe("0");
    }
  });

  it("answers DEADLINE_EXCEEDED when grpc-timeout passes, as connect does", async () => {
    const exchange = { headers: grpcHeaders("deadline-1", { "grpc-timeout": "150m" }), body: envelope(completeRequest("hang", "wait")) };
    const fastAborted = fast.engine.aborted();
    const fastAnswer = await postGrpc(fast.port, exchange);
    const connectAborted = connect.engine.aborted();
    const connectAnswer = await postGrpc(connect.port, exchange);
    // Which of two timers (the context's, the call scope's) fires first may differ, and with it the
    // message; the status, headers, code and ErrorInfo may not.
    const summary = (answer: Answer) => ({ ...answer, trailers: { ...answer.trailers, "grpc-message": undefined, "grpc-status-details-bin": undefined } });
    expect(summary(fastAnswer)).toEqual(summary(connectAnswer));
    expect(status(fastAnswer).code).toBe(4);
    expect(status(fastAnswer).details).toEqual(status(connectAnswer).details);
    expect(((await fastAborted) as GatewayError).reason).toBe("DEADLINE_EXCEEDED");
    expect(((await connectAborted) as GatewayError).reason).toBe("DEADLINE_EXCEEDED");
  });

  describe("aborts the engine's signal with CANCELED when the client resets the stream mid-call", () => {
    for (const name of ["fast path", "connect"]) {
      it(`(${name})`, async () => {
        const variant = name === "fast path" ? fast : connect;
        const aborted = variant.engine.aborted();
        const calls = variant.engine.calls.length;
        const session = http2.connect(`http://127.0.0.1:${variant.port}`);
        const stream = session.request({ ":method": "POST", ":path": completePath, ...grpcHeaders("gone-1") });
        stream.on("error", () => undefined);
        stream.end(envelope(completeRequest("hang", "wait")));
        while (variant.engine.calls.length < calls + 1) await new Promise((resolve) => setTimeout(resolve, 5));
        stream.close(http2.constants.NGHTTP2_CANCEL);
        const reason = await aborted;
        session.close();
        expect(reason).toBeInstanceOf(GatewayError);
        expect((reason as GatewayError).reason).toBe("CANCELED");
      });
    }
  });

  it("aborts a running call on shutdown with UNAVAILABLE / SHUTTING_DOWN, as connect does", async () => {
    const [fastVariant, connectVariant] = await Promise.all([startGrpcVariant(true), startGrpcVariant(false)]);
    try {
      const answers = await Promise.all(
        [fastVariant, connectVariant].map(async (variant) => {
          const aborted = variant.engine.aborted();
          const answer = postGrpc(variant.port, { headers: grpcHeaders("shutdown-1"), body: envelope(completeRequest("hang", "wait")) });
          while (variant.engine.calls.length === 0) await new Promise((resolve) => setTimeout(resolve, 5));
          variant.shutDown();
          expect(((await aborted) as GatewayError).reason).toBe("SHUTTING_DOWN");
          return answer;
        }),
      );
      expect(answers[0]).toEqual(answers[1]);
      expect(status(answers[0]).code).toBe(14);
      expect(fastVariant.contexts[0]?.protocolName).toBe("grpc");
    } finally {
      await Promise.all([fastVariant.close(), connectVariant.close()]);
    }
  });

  it("serves a grpc-js client, with the same status and details as connect", async () => {
    const results = await Promise.all(
      [fast, connect].map(async (variant) => {
        const client = new GrpcJsGatewayClient(`127.0.0.1:${variant.port}`);
        try {
          const metadata = new grpc.Metadata();
          metadata.set("x-request-id", "grpc-js-1");
          const { response, metadata: header } = await client.unary(
            "Complete",
            CompleteRequestSchema,
            CompleteResponseSchema,
            create(CompleteRequestSchema, { model: "echo", messages: [userMessage("from grpc-js")] }),
            metadata,
          );
          const error = await client
            .unary("Complete", CompleteRequestSchema, CompleteResponseSchema, create(CompleteRequestSchema, { model: "echo", messages: [] }), metadata)
            .then(
              () => undefined,
              (reason: grpc.ServiceError) => reason,
            );
          return {
            text: response.text,
            requestId: response.requestId,
            header: header.get("x-request-id"),
            code: error?.code,
            details: error?.details,
            statusDetails: error?.metadata.get("grpc-status-details-bin"),
          };
        } finally {
          client.close();
        }
      }),
    );
    expect(results[0]).toEqual(results[1]);
    expect(results[0]).toMatchObject({ text: "from grpc-js", requestId: "grpc-js-1", header: ["grpc-js-1"], code: grpc.status.INVALID_ARGUMENT });
    expect(results[0].statusDetails).toHaveLength(1);
    expect(fast.contexts.at(-1)?.protocolName).toBe("grpc");
    expect(fast.contexts.at(-1)?.signal.aborted).toBe(false);
  });
});
