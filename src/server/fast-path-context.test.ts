import { EventEmitter } from "node:events";
import { describe, expect, it } from "vitest";
import { GatewayService } from "../../gen/modelgate/v1/gateway_service_pb.js";
import { createContextValues } from "@connectrpc/connect";
import { FastPathContext } from "./fast-path-context.js";
import type { NodeRequest, NodeResponse } from "./node-handler.js";

function context(): FastPathContext {
  const response = Object.assign(new EventEmitter(), { writableEnded: false }) as unknown as NodeResponse;
  const request = Object.assign(new EventEmitter(), { headers: {} }) as unknown as NodeRequest;
  return new FastPathContext({
    method: GatewayService.method.complete,
    request,
    response,
    protocolName: "connect",
    responseContentType: "application/json",
    binary: false,
    timeoutMs: undefined,
    values: createContextValues(),
    shutdownSignal: new AbortController().signal,
    runningCalls: new Set(),
  });
}

const entries = (each: (callback: (value: string, name: string) => void) => void): [string, string][] => {
  const list: [string, string][] = [];
  each((value, name) => list.push([name, value]));
  return list;
};

describe("FastPathContext's response header", () => {
  it("gives the headers set without Headers in the order Headers iterates them", () => {
    const call = context();
    call.setResponseHeader("x-request-id", "r-1");
    call.setResponseHeader("content-encoding", "gzip");
    const cheap = entries((callback) => call.forEachResponseHeader(callback));
    const reference = new Headers({ "content-type": "application/json", "x-request-id": "r-1", "content-encoding": "gzip" });
    expect(cheap).toEqual(entries((callback) => reference.forEach(callback)));
  });

  it("builds Headers on first read with what was set, and keeps using it after", () => {
    const call = context();
    call.setResponseHeader("x-request-id", "r-1");
    call.responseHeader.append("x-custom", "a");
    call.setResponseHeader("x-request-id", "r-2");
    expect(call.responseHeader.get("x-request-id")).toBe("r-2");
    expect(entries((callback) => call.forEachResponseHeader(callback))).toEqual([
      ["content-type", "application/json"],
      ["x-custom", "a"],
      ["x-request-id", "r-2"],
    ]);
  });
});
