/** The service as a plain implementation behind connect's in-memory transport (no sockets). */
import { createClient, createRouterTransport, Code, ConnectError } from "@connectrpc/connect";
import { Writable } from "node:stream";
import { describe, expect, it } from "vitest";
import { ErrorInfoSchema } from "../../gen/google/rpc/error_details_pb.js";
import { Role } from "../../gen/modelgate/v1/content_pb.js";
import { GatewayService } from "../../gen/modelgate/v1/gateway_service_pb.js";
import { serverSchema } from "../config/schema.js";
import { createLogger } from "../observability/logger.js";
import { createFakeEngine } from "../../test/server/fake-engine.js";
import { createGatewayInterceptors } from "./gateway-interceptors.js";
import { createGatewayServiceImpl } from "./gateway-service.js";

function setup(options: { draining?: boolean; logPrompts?: boolean } = {}) {
  const lines: Record<string, unknown>[] = [];
  const destination = new Writable({
    write(chunk, _encoding, callback) {
      for (const line of String(chunk).split("\n").filter(Boolean)) lines.push(JSON.parse(line) as Record<string, unknown>);
      callback();
    },
  });
  const engine = createFakeEngine();
  const logger = createLogger({ level: "info", destination });
  const config = serverSchema.parse({ defaultDeadlineMs: 30_000, logPrompts: options.logPrompts ?? false });
  const transport = createRouterTransport((router) =>
    router.service(GatewayService, createGatewayServiceImpl(engine, { config, logger, isDraining: () => options.draining ?? false }), {
      interceptors: createGatewayInterceptors({ config, logger }),
    }),
  );
  return { client: createClient(GatewayService, transport), engine, lines };
}

const message = (text: string) => ({ role: Role.USER, parts: [{ part: { case: "text" as const, value: text } }] });

describe("createGatewayServiceImpl", () => {
  it("logs one info line per call with usage and cost but never the prompt", async () => {
    const { client, lines } = setup();
    await client.complete({ model: "echo", messages: [message("my secret prompt")], requestId: "log-1" });
    const calls = lines.filter((line) => line.msg === "call finished");
    expect(calls).toHaveLength(1);
    expect(calls[0]).toMatchObject({ requestId: "log-1", method: "Complete", model: "echo", status: "OK", deployment: "echo", inputTokens: 3, outputTokens: 2, costMicroUsd: 7 });
    expect(JSON.stringify(lines)).not.toContain("my secret prompt");
  });

  it("tells the engine whether the request id is the caller's (body or x-request-id) or generated", async () => {
    const { client, engine } = setup();
    await client.complete({ model: "echo", messages: [message("hi")], requestId: "body-1" });
    await client.complete({ model: "echo", messages: [message("hi")] }, { headers: { "x-request-id": "header-1" } });
    await client.complete({ model: "echo", messages: [message("hi")] });
    expect(engine.calls.map(({ request }) => [request.requestId.length > 0, request.requestIdFromCaller])).toEqual([
      [true, true],
      [true, true],
      [true, false],
    ]);
    expect(engine.calls[1].request.requestId).toBe("header-1");
  });

  it("uses the configured default deadline when the caller sets none", async () => {
    const { client, engine } = setup();
    await client.complete({ model: "echo", messages: [message("hi")] });
    const { context } = engine.calls[0];
    expect(context.deadlineAt - context.receivedAt).toBe(30_000);
  });

  it("refuses new completions while draining", async () => {
    const { client, engine } = setup({ draining: true });
    const error = await client.complete({ model: "echo", messages: [message("hi")] }).catch((reason: unknown) => ConnectError.from(reason));
    expect(error).toBeInstanceOf(ConnectError);
    expect((error as ConnectError).code).toBe(Code.Unavailable);
    expect((error as ConnectError).findDetails(ErrorInfoSchema)[0].reason).toBe("SHUTTING_DOWN");
    expect(engine.calls).toHaveLength(0);
  });

  it("logs the failure reason and status of a failed stream", async () => {
    const { client, lines } = setup();
    await expect(
      (async () => {
        for await (const _event of client.streamComplete({ model: "fail:CONTENT_FILTERED", messages: [message("hi")] })) {
          // drain
        }
      })(),
    ).rejects.toMatchObject({ code: Code.FailedPrecondition });
    expect(lines.find((line) => line.msg === "call finished")).toMatchObject({ status: "FAILED_PRECONDITION", reason: "CONTENT_FILTERED" });
  });
});
