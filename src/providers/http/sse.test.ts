import { describe, expect, it } from "vitest";
import { ProviderError } from "../spec.js";
import { readSseEvents } from "./sse.js";
import { collectParts, rejectionOf } from "./test-support/create-test-call.js";

const encoder = new TextEncoder();

async function* chunksOf(...parts: Array<string | Uint8Array>): AsyncGenerator<Uint8Array> {
  for (const part of parts) yield typeof part === "string" ? encoder.encode(part) : part;
}

const open = { idleMs: 1000, signal: new AbortController().signal };

describe("readSseEvents", () => {
  it("splits events on blank lines and keeps event names", async () => {
    const events = await collectParts(readSseEvents(chunksOf("event: ping\ndata: {}\n\ndata: a\n\n"), open));
    expect(events).toEqual([{ event: "ping", data: "{}" }, { data: "a" }]);
  });

  it("accepts CRLF framing and ignores comments", async () => {
    const events = await collectParts(readSseEvents(chunksOf(": keep-alive\r\n\r\ndata: one\r\n\r\ndata: two\r\n\r\n"), open));
    expect(events).toEqual([{ data: "one" }, { data: "two" }]);
  });

  it("decodes a multi-byte character split across two chunks", async () => {
    const bytes = encoder.encode("data: héllo 🌍\n\n");
    const cut = bytes.indexOf(0xf0) + 2;
    const events = await collectParts(readSseEvents(chunksOf(bytes.subarray(0, cut), bytes.subarray(cut)), open));
    expect(events).toEqual([{ data: "héllo 🌍" }]);
  });

  it("delivers a last event that lacks its closing blank line", async () => {
    const events = await collectParts(readSseEvents(chunksOf("data: one\n\ndata: [DONE]"), open));
    expect(events).toEqual([{ data: "one" }, { data: "[DONE]" }]);
  });

  it("throws a timeout when the body goes idle for longer than idleMs", async () => {
    async function* stalls(): AsyncGenerator<Uint8Array> {
      yield encoder.encode("data: one\n\n");
      await new Promise(() => undefined);
    }
    const error = await rejectionOf(collectParts(readSseEvents(stalls(), { idleMs: 30, signal: new AbortController().signal })));
    expect(error).toBeInstanceOf(ProviderError);
    expect((error as ProviderError).kind).toBe("timeout");
  });

  it("throws canceled when the signal aborts during a read", async () => {
    const controller = new AbortController();
    async function* stalls(): AsyncGenerator<Uint8Array> {
      yield encoder.encode("data: one\n\n");
      controller.abort();
      await new Promise(() => undefined);
    }
    const error = await rejectionOf(collectParts(readSseEvents(stalls(), { idleMs: 10_000, signal: controller.signal })));
    expect((error as ProviderError).kind).toBe("canceled");
  });
});
