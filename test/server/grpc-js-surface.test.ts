/**
 * The gRPC-only port served by @grpc/grpc-js (`server.grpcPort`): the same services as the main port,
 * reached by a grpc-js client, connect-node's gRPC transport and the real grpcurl binary. Errors must be
 * byte-identical to the main port's, cancels and deadlines must reach the engine, and close() must
 * drain this port like the main one.
 */
import { create } from "@bufbuild/protobuf";
import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import * as grpc from "@grpc/grpc-js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BadRequestSchema, ErrorInfoSchema, RetryInfoSchema } from "../../gen/google/rpc/error_details_pb.js";
import { Health, HealthCheckResponse_ServingStatus as Status } from "../../gen/health/v1/health_pb.js";
import { CompleteRequestSchema, CompleteResponseSchema, type CompleteRequest } from "../../gen/modelgate/v1/completion_pb.js";
import { Role } from "../../gen/modelgate/v1/content_pb.js";
import { GatewayService } from "../../gen/modelgate/v1/gateway_service_pb.js";
import { StreamCompleteRequestSchema, StreamCompleteResponseSchema, type StreamCompleteResponse } from "../../gen/modelgate/v1/stream_pb.js";
import { toConnectError } from "../../src/errors/to-connect-error.js";
import { decodeStatusDetails } from "../scenarios/runners/status-details.js";
import { GrpcJsGatewayClient } from "./clients.js";
import { findGrpcurl, grpcurlInstallHint, runGrpcurl } from "./grpcurl.js";
import { startTestServer, type TestServer } from "./start-test-server.js";

const userMessage = (text: string) => ({ role: Role.USER, parts: [{ part: { case: "text" as const, value: text } }] });
const completeRequest = (model: string, text: string, requestId = ""): CompleteRequest =>
  create(CompleteRequestSchema, { model, messages: [userMessage(text)], requestId });
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function rejectionOf(promise: Promise<unknown>): Promise<ConnectError> {
  try {
    await promise;
  } catch (error) {
    return ConnectError.from(error);
  }
  throw new Error("expected the call to fail");
}

async function grpcJsFailure(client: GrpcJsGatewayClient, request: CompleteRequest): Promise<grpc.ServiceError> {
  return client.unary("Complete", CompleteRequestSchema, CompleteResponseSchema, request).then(
    () => {
      throw new Error("expected the call to fail");
    },
    (reason: grpc.ServiceError) => reason,
  );
}

/** The gRPC code an engine abort reason (a ConnectError or a GatewayError) stands for. */
const abortCode = (reason: unknown): Code => toConnectError(reason, "test").code;

function textOf(events: StreamCompleteResponse[]): string {
  return events.map((event) => (event.event.case === "textDelta" ? event.event.value.text : "")).join("");
}

describe("the grpc-js port", () => {
  let test: TestServer;
  let mainUrl: string;
  let grpcUrl: string;
  let grpcJs: GrpcJsGatewayClient;
  let grpcJsMain: GrpcJsGatewayClient;

  beforeAll(async () => {
    test = await startTestServer({ grpcPort: 0, maxMessageBytes: 64 * 1024 });
    mainUrl = test.server.url;
    grpcUrl = test.server.grpcUrl ?? "";
    grpcJs = new GrpcJsGatewayClient(new URL(grpcUrl).host);
    grpcJsMain = new GrpcJsGatewayClient(new URL(mainUrl).host);
  });
  afterAll(async () => {
    grpcJs.close();
    grpcJsMain.close();
    await test.server.close(0);
  });

  it("listens on its own port next to the main one", () => {
    expect(test.server.grpcPort).toBeGreaterThan(0);
    expect(test.server.grpcPort).not.toBe(test.server.port);
    expect(grpcUrl).toBe(`http://127.0.0.1:${test.server.grpcPort}`);
  });

  it("answers a unary call from grpc-js and echoes the request id", async () => {
    const metadata = new grpc.Metadata();
    metadata.set("x-request-id", "grpc-port-1");
    const { response, metadata: header } = await grpcJs.unary("Complete", CompleteRequestSchema, CompleteResponseSchema, completeRequest("echo", "one two"), metadata);
    expect(response).toMatchObject({ text: "one two", requestId: "grpc-port-1" });
    expect(header.get("x-request-id")).toEqual(["grpc-port-1"]);
  });

  it("answers a unary call from connect-node's gRPC transport", async () => {
    const client = createClient(GatewayService, createGrpcTransport({ baseUrl: grpcUrl }));
    let requestId: string | null = null;
    const response = await client.complete(completeRequest("echo", "via connect", "connect-1"), {
      onHeader: (headers) => (requestId = headers.get("x-request-id")),
    });
    expect(response.text).toBe("via connect");
    expect(requestId).toBe("connect-1");
    expect(response.route?.attempts).toHaveLength(1);
  });

  it("streams start, deltas and finish to grpc-js and to connect-node", async () => {
    const stream = grpcJs.serverStream("StreamComplete", StreamCompleteRequestSchema, StreamCompleteResponseSchema, create(StreamCompleteRequestSchema, { model: "echo", messages: [userMessage("alpha beta gamma")] }));
    const viaGrpcJs: StreamCompleteResponse[] = [];
    for await (const event of stream) viaGrpcJs.push(event as StreamCompleteResponse);
    const client = createClient(GatewayService, createGrpcTransport({ baseUrl: grpcUrl }));
    const viaConnect: StreamCompleteResponse[] = [];
    for await (const event of client.streamComplete({ model: "echo", messages: [userMessage("alpha beta gamma")] })) viaConnect.push(event);
    for (const events of [viaGrpcJs, viaConnect]) {
      expect(events.map((event) => event.event.case)).toEqual(["start", "textDelta", "textDelta", "textDelta", "finish"]);
      expect(textOf(events)).toBe("alpha beta gamma");
    }
  });

  describe("errors are the main port's, byte for byte", () => {
    const failures: [string, CompleteRequest][] = [
      ["an upstream rate limit (ErrorInfo, RetryInfo, FailureDetails)", completeRequest("fail:PROVIDER_RATE_LIMITED", "hi", "same-1")],
      ["an invalid request (ErrorInfo, BadRequest)", create(CompleteRequestSchema, { model: "echo", messages: [], requestId: "same-2" })],
      ["an unexpected engine error (bare INTERNAL)", completeRequest("boom", "hi", "same-3")],
    ];
    for (const [title, request] of failures) {
      it(`for ${title} through grpc-js`, async () => {
        const [main, port] = await Promise.all([grpcJsFailure(grpcJsMain, request), grpcJsFailure(grpcJs, request)]);
        expect(port.code).toBe(main.code);
        expect(port.details).toBe(main.details);
        const [mainBytes] = main.metadata.get("grpc-status-details-bin") as Buffer[];
        const [portBytes] = port.metadata.get("grpc-status-details-bin") as Buffer[];
        expect(portBytes).toBeDefined();
        expect(Buffer.compare(portBytes, mainBytes)).toBe(0);
        expect(decodeStatusDetails(portBytes).errorInfo?.metadata.request_id).toBe(request.requestId);
      });

      it(`for ${title} through connect-node`, async () => {
        const onMain = createClient(GatewayService, createGrpcTransport({ baseUrl: mainUrl }));
        const onPort = createClient(GatewayService, createGrpcTransport({ baseUrl: grpcUrl }));
        const [main, port] = await Promise.all([rejectionOf(onMain.complete(request)), rejectionOf(onPort.complete(request))]);
        expect(port.code).toBe(main.code);
        expect(port.rawMessage).toBe(main.rawMessage);
        for (const schema of [ErrorInfoSchema, RetryInfoSchema, BadRequestSchema]) expect(port.findDetails(schema)).toEqual(main.findDetails(schema));
      });
    }

    it("decodes ErrorInfo, RetryInfo and BadRequest as expected", async () => {
      const client = createClient(GatewayService, createGrpcTransport({ baseUrl: grpcUrl }));
      const limited = await rejectionOf(client.complete(completeRequest("fail:PROVIDER_RATE_LIMITED", "hi", "rl-2")));
      expect(limited.code).toBe(Code.Unavailable);
      expect(limited.findDetails(ErrorInfoSchema)[0]).toMatchObject({ domain: "modelgate", reason: "PROVIDER_RATE_LIMITED", metadata: { request_id: "rl-2" } });
      expect(limited.findDetails(RetryInfoSchema)[0].retryDelay).toMatchObject({ seconds: 1n, nanos: 500_000_000 });
      const invalid = await rejectionOf(client.complete({ model: "echo", messages: [userMessage("hi")], sampling: { temperature: 3, stopSequences: [] } }));
      expect(invalid.code).toBe(Code.InvalidArgument);
      expect(invalid.findDetails(BadRequestSchema)[0].fieldViolations.map((violation) => violation.field)).toEqual(["sampling.temperature"]);
    });
  });

  it("aborts the engine's signal when a grpc-js client cancels a stream", async () => {
    const aborted = test.engine.aborted();
    const before = test.engine.calls.length;
    const stream = grpcJs.serverStream("StreamComplete", StreamCompleteRequestSchema, StreamCompleteResponseSchema, create(StreamCompleteRequestSchema, { model: "hang", messages: [userMessage("wait")] }));
    const status = new Promise<grpc.ServiceError>((resolve) => stream.on("error", resolve));
    while (test.engine.calls.length === before) await sleep(5);
    stream.cancel();
    expect(abortCode(await aborted)).toBe(Code.Canceled);
    expect((await status).code).toBe(grpc.status.CANCELLED);
  });

  it("aborts the engine's signal when connect-node cancels a unary call", async () => {
    const client = createClient(GatewayService, createGrpcTransport({ baseUrl: grpcUrl }));
    const aborted = test.engine.aborted();
    const before = test.engine.calls.length;
    const controller = new AbortController();
    const calling = rejectionOf(client.complete(completeRequest("hang", "wait"), { signal: controller.signal }));
    while (test.engine.calls.length === before) await sleep(5);
    controller.abort();
    expect(abortCode(await aborted)).toBe(Code.Canceled);
    expect((await calling).code).toBe(Code.Canceled);
  });

  it("passes the caller's deadline to the engine as its budget", async () => {
    const client = createClient(GatewayService, createGrpcTransport({ baseUrl: grpcUrl }));
    await client.complete(completeRequest("echo", "hi", "deadline-1"), { timeoutMs: 5_000 });
    const call = test.engine.calls.find((entry) => entry.request.requestId === "deadline-1");
    const budget = (call?.context.deadlineAt ?? 0) - (call?.context.receivedAt ?? 0);
    expect(budget).toBeGreaterThan(4_000);
    expect(budget).toBeLessThanOrEqual(5_000);
  });

  it("ends a call whose deadline passes with DEADLINE_EXCEEDED and aborts the engine", async () => {
    const aborted = test.engine.aborted();
    const client = createClient(GatewayService, createGrpcTransport({ baseUrl: grpcUrl }));
    const error = await rejectionOf(client.complete(completeRequest("hang", "wait"), { timeoutMs: 200 }));
    expect(error.code).toBe(Code.DeadlineExceeded);
    expect(abortCode(await aborted)).toBe(Code.DeadlineExceeded);
  });

  it("refuses an oversize request like the main port, before the engine sees it", async () => {
    const before = test.engine.calls.length;
    const request = completeRequest("echo", "x".repeat(80 * 1024), "big-1");
    const [main, port] = await Promise.all([grpcJsFailure(grpcJsMain, request), grpcJsFailure(grpcJs, request)]);
    expect(port.code).toBe(grpc.status.RESOURCE_EXHAUSTED);
    expect(port.details).toBe(main.details);
    expect(port.details).toContain("limit of 65536 bytes (server.maxMessageBytes)");
    const details = decodeStatusDetails((port.metadata.get("grpc-status-details-bin") as Buffer[])[0]);
    expect(details.errorInfo).toMatchObject({ reason: "MESSAGE_TOO_LARGE", metadata: { max_bytes: "65536" } });
    const viaConnect = await rejectionOf(createClient(GatewayService, createGrpcTransport({ baseUrl: grpcUrl })).complete(request));
    expect(viaConnect.code).toBe(Code.ResourceExhausted);
    expect(viaConnect.findDetails(ErrorInfoSchema).map((info) => info.reason)).toEqual(["MESSAGE_TOO_LARGE"]);
    expect(test.engine.calls.length).toBe(before);
  });

  describe("grpc.health.v1.Health", () => {
    it("answers Check", async () => {
      const health = createClient(Health, createGrpcTransport({ baseUrl: grpcUrl }));
      expect((await health.check({ service: "modelgate.v1.GatewayService" })).status).toBe(Status.SERVING);
      await expect(health.check({ service: "nope" })).rejects.toMatchObject({ code: Code.NotFound });
    });

    it("streams status changes from Watch until the client cancels", async () => {
      const health = createClient(Health, createGrpcTransport({ baseUrl: grpcUrl }));
      const controller = new AbortController();
      const seen: Status[] = [];
      const watching = (async () => {
        for await (const response of health.watch({ service: "modelgate.v1.GatewayService" }, { signal: controller.signal })) {
          seen.push(response.status);
          if (seen.length === 1) test.server.health.set("modelgate.v1.GatewayService", "NOT_SERVING");
          if (seen.length === 2) test.server.health.set("modelgate.v1.GatewayService", "SERVING");
          if (seen.length === 3) controller.abort();
        }
      })();
      const error = await watching.then(() => undefined, (reason: unknown) => ConnectError.from(reason));
      expect(seen).toEqual([Status.SERVING, Status.NOT_SERVING, Status.SERVING]);
      expect(error?.code).toBe(Code.Canceled);
    });
  });

  describe("grpcurl through reflection", () => {
    const binary = findGrpcurl();
    const required = process.env.CI === "true";
    const grpcurlIt = binary || required ? it : it.skip;
    /** `grpcurl -plaintext <flags> <host> <command...>` against the grpc-js port. */
    const grpcurl = (flags: string[], command: string[]) => {
      if (!binary) throw new Error(grpcurlInstallHint);
      return runGrpcurl(binary, ["-plaintext", ...flags, new URL(grpcUrl).host, ...command]);
    };
    const request = JSON.stringify({ model: "echo", messages: [{ role: "ROLE_USER", parts: [{ text: "hello grpcurl world" }] }] });

    grpcurlIt("lists the services (reflection v1, bidi over grpc-js)", async () => {
      const result = await grpcurl([], ["list"]);
      expect(result.code, result.stderr).toBe(0);
      expect(result.stdout.trim().split("\n")).toEqual([
        "grpc.health.v1.Health",
        "grpc.reflection.v1.ServerReflection",
        "grpc.reflection.v1alpha.ServerReflection",
        "modelgate.v1.GatewayService",
      ]);
    });

    grpcurlIt("describes the gateway service", async () => {
      const result = await grpcurl([], ["describe", "modelgate.v1.GatewayService"]);
      expect(result.code, result.stderr).toBe(0);
      expect(result.stdout).toContain("rpc StreamComplete ( .modelgate.v1.StreamCompleteRequest ) returns ( stream .modelgate.v1.StreamCompleteResponse );");
    });

    grpcurlIt("invokes Complete and StreamComplete with JSON", async () => {
      const unary = await grpcurl(["-d", request], ["modelgate.v1.GatewayService/Complete"]);
      expect(unary.code, unary.stderr).toBe(0);
      expect(JSON.parse(unary.stdout)).toMatchObject({ text: "hello grpcurl world", finishReason: "FINISH_REASON_STOP" });
      const stream = await grpcurl(["-d", request], ["modelgate.v1.GatewayService/StreamComplete"]);
      expect(stream.stdout).toContain('"text": "grpcurl "');
      expect(stream.stdout).toContain('"finish"');
    });

    grpcurlIt("prints the error details of a failure", async () => {
      const failing = JSON.stringify({ model: "fail:PROVIDER_RATE_LIMITED", messages: [{ role: "ROLE_USER", parts: [{ text: "hi" }] }] });
      const result = await grpcurl(["-d", failing], ["modelgate.v1.GatewayService/Complete"]);
      expect(result.stderr).toContain("Code: Unavailable");
      expect(result.stderr).toContain('"reason": "PROVIDER_RATE_LIMITED"');
      expect(result.stderr).toContain('"retryDelay": "1.500s"');
    });

    grpcurlIt("checks health", async () => {
      const result = await grpcurl([], ["grpc.health.v1.Health/Check"]);
      expect(JSON.parse(result.stdout)).toEqual({ status: "SERVING" });
    });
  });
});

describe("graceful shutdown of the grpc-js port", () => {
  it("lets a running stream finish, reports NOT_SERVING and refuses new connections", async () => {
    const test = await startTestServer({ grpcPort: 0 }, { slowWordMs: 80 });
    const host = new URL(test.server.grpcUrl ?? "").host;
    const client = new GrpcJsGatewayClient(host);
    const stream = client.serverStream("StreamComplete", StreamCompleteRequestSchema, StreamCompleteResponseSchema, create(StreamCompleteRequestSchema, { model: "slow", messages: [userMessage("one two three four five")] }));
    const events: StreamCompleteResponse[] = [];
    let closing: Promise<void> | undefined;
    for await (const event of stream) {
      events.push(event as StreamCompleteResponse);
      if (!closing) {
        closing = test.server.close(5_000);
        expect(test.server.health.get("")).toBe("NOT_SERVING");
        const late = new GrpcJsGatewayClient(host);
        const refused = await grpcJsFailure(late, completeRequest("echo", "too late"));
        late.close();
        expect(refused.code).toBe(grpc.status.UNAVAILABLE);
      }
    }
    client.close();
    expect(events.at(-1)?.event.case).toBe("finish");
    expect(events.filter((event) => event.event.case === "textDelta")).toHaveLength(5);
    await closing;
    expect(test.engine.calls[0].context.signal.aborted).toBe(false);
  });

  it("aborts a running stream with UNAVAILABLE / SHUTTING_DOWN when the grace period is over", async () => {
    const test = await startTestServer({ grpcPort: 0 });
    const client = createClient(GatewayService, createGrpcTransport({ baseUrl: test.server.grpcUrl ?? "" }));
    const aborted = test.engine.aborted();
    const streaming = rejectionOf(
      (async () => {
        for await (const _event of client.streamComplete({ model: "hang", messages: [userMessage("wait")] })) {
          // never yields
        }
      })(),
    );
    while (test.engine.calls.length === 0) await sleep(5);
    const started = Date.now();
    await test.server.close(200);
    expect(Date.now() - started).toBeGreaterThanOrEqual(190);
    await expect(aborted).resolves.toBeDefined();
    const error = await streaming;
    expect(error.code).toBe(Code.Unavailable);
    expect(error.findDetails(ErrorInfoSchema)[0]?.reason).toBe("SHUTTING_DOWN");
  });
});
