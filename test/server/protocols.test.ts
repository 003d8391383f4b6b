/**
 * One running server, every protocol: Connect JSON over HTTP/1.1 with plain fetch, Connect over h2c,
 * gRPC-Web over HTTP/1.1, gRPC over h2c (connect-node and @grpc/grpc-js). Each answers the same unary
 * and streaming calls, echoes the request id, and returns the same error details.
 */
import { create } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import * as grpc from "@grpc/grpc-js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BadRequestSchema, ErrorInfoSchema, RetryInfoSchema } from "../../gen/google/rpc/error_details_pb.js";
import { CompleteRequestSchema, CompleteResponseSchema } from "../../gen/modelgate/v1/completion_pb.js";
import { Role } from "../../gen/modelgate/v1/content_pb.js";
import { FailureDetailsSchema } from "../../gen/modelgate/v1/errors_pb.js";
import { StreamCompleteRequestSchema, StreamCompleteResponseSchema, type StreamCompleteResponse } from "../../gen/modelgate/v1/stream_pb.js";
import { gatewayClient, GrpcJsGatewayClient, type ProtocolName } from "./clients.js";
import { startTestServer, type TestServer } from "./start-test-server.js";

const userMessage = (text: string) => ({ role: Role.USER, parts: [{ part: { case: "text" as const, value: text } }] });
const protocols: ProtocolName[] = ["connect-http1", "connect-h2c", "grpc-web-http1", "grpc-h2c"];

function textOf(events: StreamCompleteResponse[]): string {
  return events.map((event) => (event.event.case === "textDelta" ? event.event.value.text : "")).join("");
}

async function rejectionOf(promise: Promise<unknown>): Promise<ConnectError> {
  try {
    await promise;
  } catch (error) {
    return ConnectError.from(error);
  }
  throw new Error("expected the call to fail");
}

describe("one server, every protocol", () => {
  let test: TestServer;
  let url: string;

  beforeAll(async () => {
    test = await startTestServer({ maxMessageBytes: 64 * 1024 });
    url = test.server.url;
  });
  afterAll(async () => {
    await test.server.close(0);
  });

  it("answers Connect JSON over HTTP/1.1 from plain fetch", async () => {
    const response = await fetch(`${url}/modelgate.v1.GatewayService/Complete`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-request-id": "fetch-1" },
      body: JSON.stringify({ model: "echo", messages: [{ role: "ROLE_USER", parts: [{ text: "hello from fetch" }] }] }),
    });
    expect(response.status).toBe(200);
    expect(response.headers.get("x-request-id")).toBe("fetch-1");
    const body = (await response.json()) as Record<string, unknown>;
    expect(body).toMatchObject({ requestId: "fetch-1", text: "hello from fetch", finishReason: "FINISH_REASON_STOP", costMicroUsd: "7" });
  });

  it("returns a Connect JSON error with ErrorInfo to plain fetch", async () => {
    const response = await fetch(`${url}/modelgate.v1.GatewayService/Complete`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ model: "", messages: [] }),
    });
    expect(response.status).toBe(400);
    const body = (await response.json()) as { code: string; details: { type: string }[] };
    expect(body.code).toBe("invalid_argument");
    expect(body.details.map((detail) => detail.type)).toEqual(["google.rpc.ErrorInfo", "google.rpc.BadRequest"]);
  });

  for (const protocol of protocols) {
    describe(protocol, () => {
      it("answers a unary call and echoes the request id", async () => {
        const client = gatewayClient(protocol, url);
        let requestIdHeader: string | null = null;
        const response = await client.complete(
          { model: "echo", messages: [userMessage("one two three")], requestId: `unary-${protocol}` },
          { onHeader: (headers) => (requestIdHeader = headers.get("x-request-id")) },
        );
        expect(response.text).toBe("one two three");
        expect(response.requestId).toBe(`unary-${protocol}`);
        expect(requestIdHeader).toBe(`unary-${protocol}`);
        expect(response.usage?.inputTokens).toBe(3);
        expect(response.usage?.cachedInputTokens).toBeUndefined();
        expect(response.route?.attempts).toHaveLength(1);
      });

      it("streams start, deltas and finish", async () => {
        const client = gatewayClient(protocol, url);
        const events: StreamCompleteResponse[] = [];
        for await (const event of client.streamComplete({ model: "echo", messages: [userMessage("alpha beta gamma")] })) {
          events.push(event);
        }
        expect(events[0].event.case).toBe("start");
        expect(events.at(-1)?.event.case).toBe("finish");
        expect(textOf(events)).toBe("alpha beta gamma");
        expect(events.filter((event) => event.event.case === "textDelta")).toHaveLength(3);
      });

      it("returns ErrorInfo and RetryInfo for an upstream rate limit", async () => {
        const client = gatewayClient(protocol, url);
        const error = await rejectionOf(
          client.complete({ model: "fail:PROVIDER_RATE_LIMITED", messages: [userMessage("hi")], requestId: "rl-1" }),
        );
        expect(error.code).toBe(Code.Unavailable);
        const [info] = error.findDetails(ErrorInfoSchema);
        expect(info).toMatchObject({ domain: "modelgate", reason: "PROVIDER_RATE_LIMITED" });
        expect(info.metadata.request_id).toBe("rl-1");
        expect(error.findDetails(RetryInfoSchema)[0].retryDelay?.seconds).toBe(1n);
        expect(error.findDetails(FailureDetailsSchema)[0].usage?.partial).toBe(true);
      });

      it("returns a stream's error as the RPC status", async () => {
        const client = gatewayClient(protocol, url);
        const error = await rejectionOf(
          (async () => {
            for await (const _event of client.streamComplete({ model: "fail:UNKNOWN_MODEL", messages: [userMessage("hi")] })) {
              // drain
            }
          })(),
        );
        expect(error.code).toBe(Code.NotFound);
        expect(error.findDetails(ErrorInfoSchema)[0].reason).toBe("UNKNOWN_MODEL");
      });

      it("rejects an invalid request with every field violation and no engine call", async () => {
        const client = gatewayClient(protocol, url);
        const before = test.engine.calls.length;
        const error = await rejectionOf(
          client.complete({
            model: "echo",
            messages: [userMessage("hi"), { role: Role.TOOL, parts: [{ part: { case: "text", value: "42" } }] }],
            sampling: { temperature: 3, stopSequences: [] },
            tools: [{ name: "bad name!" }],
          }),
        );
        expect(error.code).toBe(Code.InvalidArgument);
        expect(error.findDetails(ErrorInfoSchema)[0].reason).toBe("INVALID_REQUEST");
        const fields = error.findDetails(BadRequestSchema)[0].fieldViolations.map((violation) => violation.field);
        expect(fields).toEqual(["messages[1].tool_call_id", "sampling.temperature", "tools[0].name"]);
        expect(test.engine.calls.length).toBe(before);
      });

      it("refuses a request id that cannot go back as a header with INVALID_ARGUMENT, not INTERNAL", async () => {
        const client = gatewayClient(protocol, url);
        const before = test.engine.calls.length;
        for (const requestId of ["日本", "a\u0000b", "two words"]) {
          const error = await rejectionOf(client.complete({ model: "echo", requestId, messages: [userMessage("hi")] }));
          expect(error.code, requestId).toBe(Code.InvalidArgument);
          expect(error.findDetails(BadRequestSchema)[0].fieldViolations.map((violation) => violation.field)).toEqual(["request_id"]);
        }
        expect(test.engine.calls.length).toBe(before);
        const answer = await client.complete({ model: "echo", requestId: "order-42:retry_1", messages: [userMessage("hi")] });
        expect(answer.requestId).toBe("order-42:retry_1");
      });

      it("refuses an oversize request with RESOURCE_EXHAUSTED before the engine sees it", async () => {
        const client = gatewayClient(protocol, url);
        const before = test.engine.calls.length;
        const error = await rejectionOf(client.complete({ model: "echo", messages: [userMessage("x".repeat(80 * 1024))] }));
        expect(error.code).toBe(Code.ResourceExhausted);
        expect(error.rawMessage).toContain("limit of 65536 bytes");
        expect(error.findDetails(ErrorInfoSchema).map((info) => info.reason)).toEqual(["MESSAGE_TOO_LARGE"]);
        expect(test.engine.calls.length).toBe(before);
      });

      it("hides an unexpected engine error behind INTERNAL", async () => {
        const client = gatewayClient(protocol, url);
        const error = await rejectionOf(client.complete({ model: "boom", messages: [userMessage("hi")] }));
        expect(error.code).toBe(Code.Internal);
        expect(error.rawMessage).toBe("internal error");
        expect(error.message).not.toContain("sk-SECRET");
      });

      it("refuses a deadline above server.maxDeadlineMs", async () => {
        const client = gatewayClient(protocol, url);
        const error = await rejectionOf(
          client.complete({ model: "echo", messages: [userMessage("hi")] }, { timeoutMs: test.config.server.maxDeadlineMs + 60_000 }),
        );
        expect(error.code).toBe(Code.InvalidArgument);
        expect(error.findDetails(BadRequestSchema)[0].fieldViolations[0].field).toBe("grpc-timeout");
      });

      it("passes the caller's deadline to the engine", async () => {
        const client = gatewayClient(protocol, url);
        await client.complete({ model: "echo", messages: [userMessage("hi")], requestId: `deadline-${protocol}` }, { timeoutMs: 5_000 });
        const call = test.engine.calls.find((entry) => entry.request.requestId === `deadline-${protocol}`);
        expect(call).toBeDefined();
        const budget = (call?.context.deadlineAt ?? 0) - (call?.context.receivedAt ?? 0);
        expect(budget).toBeGreaterThan(3_000);
        expect(budget).toBeLessThanOrEqual(5_000);
      });

      it("aborts the engine's signal when the client cancels a stream", async () => {
        const client = gatewayClient(protocol, url);
        const aborted = test.engine.aborted();
        const controller = new AbortController();
        const stream = client.streamComplete({ model: "hang", messages: [userMessage("wait")] }, { signal: controller.signal });
        const consuming = (async () => {
          for await (const _event of stream) {
            // never yields
          }
        })().catch(() => undefined);
        await new Promise((resolve) => setTimeout(resolve, 150));
        controller.abort();
        await expect(aborted).resolves.toBeDefined();
        await consuming;
      });
    });
  }

  describe("@grpc/grpc-js", () => {
    let client: GrpcJsGatewayClient;
    beforeAll(() => {
      client = new GrpcJsGatewayClient(new URL(url).host);
    });
    afterAll(() => client.close());

    it("makes a unary call", async () => {
      const metadata = new grpc.Metadata();
      metadata.set("x-request-id", "grpc-js-1");
      const { response, metadata: header } = await client.unary(
        "Complete",
        CompleteRequestSchema,
        CompleteResponseSchema,
        create(CompleteRequestSchema, { model: "echo", messages: [userMessage("from grpc-js")] }),
        metadata,
      );
      expect(response.text).toBe("from grpc-js");
      expect(response.requestId).toBe("grpc-js-1");
      expect(header.get("x-request-id")).toEqual(["grpc-js-1"]);
    });

    it("reads a server stream", async () => {
      const stream = client.serverStream(
        "StreamComplete",
        StreamCompleteRequestSchema,
        StreamCompleteResponseSchema,
        create(StreamCompleteRequestSchema, { model: "echo", messages: [userMessage("streamed to grpc-js")] }),
      );
      const events: StreamCompleteResponse[] = [];
      for await (const event of stream) events.push(event as StreamCompleteResponse);
      expect(textOf(events)).toBe("streamed to grpc-js");
      expect(events.at(-1)?.event.case).toBe("finish");
    });

    it("gets the gRPC status code of a failure", async () => {
      const error = await client
        .unary("Complete", CompleteRequestSchema, CompleteResponseSchema, create(CompleteRequestSchema, { model: "fail:COST_LIMIT_EXCEEDED", messages: [userMessage("hi")] }))
        .then(
          () => undefined,
          (reason: grpc.ServiceError) => reason,
        );
      expect(error?.code).toBe(grpc.status.RESOURCE_EXHAUSTED);
      expect(error?.metadata.get("grpc-status-details-bin")).toHaveLength(1);
    });

    it("is refused an oversize message with RESOURCE_EXHAUSTED", async () => {
      const before = test.engine.calls.length;
      const error = await client
        .unary("Complete", CompleteRequestSchema, CompleteResponseSchema, create(CompleteRequestSchema, { model: "echo", messages: [userMessage("y".repeat(100_000))] }))
        .then(
          () => undefined,
          (reason: grpc.ServiceError) => reason,
        );
      expect(error?.code).toBe(grpc.status.RESOURCE_EXHAUSTED);
      expect(test.engine.calls.length).toBe(before);
    });
  });

  it("serves ListModels and GetDeploymentStats", async () => {
    const client = gatewayClient("connect-h2c", url);
    const models = await client.listModels({});
    expect(models.aliases.map((alias) => alias.name)).toEqual(["echo"]);
    const stats = await client.getDeploymentStats({ deployments: [] });
    expect(stats.stats[0]).toMatchObject({ deployment: "echo", attempts: 1n, costMicroUsd: 7n });
  });

  it("answers 404 for a path that is neither an RPC nor an extra route", async () => {
    const response = await fetch(`${url}/nope`);
    expect(response.status).toBe(404);
  });
});
