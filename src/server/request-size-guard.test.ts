import { ConnectError, Code } from "@connectrpc/connect";
import type { UniversalServerRequest } from "@connectrpc/connect/protocol";
import { describe, expect, it } from "vitest";
import { ErrorInfoSchema } from "../../gen/google/rpc/error_details_pb.js";
import { guardRequestSize } from "./request-size-guard.js";

function request(chunks: Uint8Array[], headers: Record<string, string>): UniversalServerRequest {
  return {
    httpVersion: "1.1",
    url: "http://x/modelgate.v1.GatewayService/Complete",
    method: "POST",
    header: new Headers(headers),
    signal: new AbortController().signal,
    body: (async function* () {
      yield* chunks;
    })(),
  };
}

async function drain(guarded: UniversalServerRequest): Promise<number> {
  let total = 0;
  for await (const chunk of guarded.body as AsyncIterable<Uint8Array>) total += chunk.byteLength;
  return total;
}

async function errorOf(guarded: UniversalServerRequest): Promise<ConnectError> {
  try {
    await drain(guarded);
  } catch (error) {
    return ConnectError.from(error);
  }
  throw new Error("expected an error");
}

describe("guardRequestSize", () => {
  it("passes a body within the limit through unchanged", async () => {
    expect(await drain(guardRequestSize(request([new Uint8Array(10), new Uint8Array(6)], { "content-type": "application/json" }), 16, "r"))).toBe(16);
  });

  it("refuses by Content-Length before reading anything", async () => {
    const error = await errorOf(guardRequestSize(request([], { "content-type": "application/json", "content-length": "17" }), 16, "r1"));
    expect(error.code).toBe(Code.ResourceExhausted);
    expect(error.rawMessage).toBe("request message is 17 bytes, more than the limit of 16 bytes (server.maxMessageBytes)");
    expect(error.findDetails(ErrorInfoSchema)[0]).toMatchObject({ reason: "MESSAGE_TOO_LARGE", metadata: { request_id: "r1", max_bytes: "16" } });
  });

  it("refuses an enveloped message by its length prefix, even split across chunks", async () => {
    const prefix = new Uint8Array([0, 0, 0, 0x01, 0x00]);
    const error = await errorOf(guardRequestSize(request([prefix.subarray(0, 2), prefix.subarray(2), new Uint8Array(3)], { "content-type": "application/grpc" }), 16, "r"));
    expect(error.rawMessage).toContain("256 bytes");
  });

  it("allows the 5-byte envelope on top of the limit", async () => {
    const body = new Uint8Array(21);
    body.set([0, 0, 0, 0, 16]);
    expect(await drain(guardRequestSize(request([body], { "content-type": "application/grpc-web+proto" }), 16, "r"))).toBe(21);
  });

  it("refuses an unframed body that grows past the limit without Content-Length", async () => {
    const error = await errorOf(guardRequestSize(request([new Uint8Array(10), new Uint8Array(10)], { "content-type": "application/proto" }), 16, "r"));
    expect(error.code).toBe(Code.ResourceExhausted);
  });

  it("waits for onRefused before the body fails, so the rest of the body can be dropped first", async () => {
    const order: string[] = [];
    const onRefused = async (): Promise<void> => {
      await new Promise((resolve) => setTimeout(resolve, 5));
      order.push("refused");
    };
    const counted = guardRequestSize(request([new Uint8Array(10), new Uint8Array(10)], { "content-type": "application/proto" }), 16, "r", onRefused);
    const declared = guardRequestSize(request([], { "content-type": "application/json", "content-length": "17" }), 16, "r", onRefused);
    for (const guarded of [counted, declared]) {
      const error = await errorOf(guarded);
      order.push(Code[error.code]);
    }
    expect(order).toEqual(["refused", "ResourceExhausted", "refused", "ResourceExhausted"]);
  });
});
