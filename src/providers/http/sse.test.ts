import { describe, expect, it } from "vitest";
import { ProviderError } from "../spec.js";
import { readSseEvents } from "./sse.js";
import { collectParts, rejectionOf } from "./test-support/create-test-call.js";

const encoder = new TextEncoder();

async function* chunksOf(...parts: Array<string | Uint8Array>): AsyncGenerator<Uint8Array> {
  for (const part of parts) yield typeof part === "string" ? encoder.encode(part) : part;
}

const open = { idleMs: 1000, signal: new AbortController().signal, maxEventBytes: 1024 };

/** `first`, then `piece` for ever; counts the chunks pulled, which is what the reader had to hold. */
function endless(first: string, piece: string): { body: AsyncGenerator<Uint8Array>; pulled: () => number } {
  let pulled = 0;
  async function* body(): AsyncGenerator<Uint8Array> {
    pulled += 1;
    yield encoder.encode(first);
    const bytes = encoder.encode(piece);
    for (;;) {
      pulled += 1;
      yield bytes;
    }
  }
  return { body: body(), pulled: () => pulled };
}

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
    const error = await rejectionOf(collectParts(readSseEvents(stalls(), { ...open, idleMs: 30 })));
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
    const error = await rejectionOf(collectParts(readSseEvents(stalls(), { ...open, idleMs: 10_000, signal: controller.signal })));
    expect((error as ProviderError).kind).toBe("canceled");
  });

  it("fails with malformed-response on a line that never ends, having held no more than maxEventBytes", async () => {
    const source = endless("data: {\"text\":\"", "a".repeat(100));
    const error = await rejectionOf(collectParts(readSseEvents(source.body, open)));
    expect(error).toBeInstanceOf(ProviderError);
    expect(error).toMatchObject({ kind: "malformed-response", message: "The provider's stream event exceeded 1024 bytes (maxEventBytes)." });
    expect(source.pulled()).toBeLessThanOrEqual(12);
  });

  it("fails with malformed-response on data lines that never end their event", async () => {
    const source = endless("", "data: aaaaaaaaaa\n");
    const error = await rejectionOf(collectParts(readSseEvents(source.body, open)));
    expect(error).toMatchObject({ kind: "malformed-response" });
    expect(source.pulled()).toBeLessThanOrEqual(1024 / 10 + 2);
  });

  it("yields the events completed before an oversized one, then fails", async () => {
    const events: unknown[] = [];
    const error = await rejectionOf(
      (async () => {
        for await (const event of readSseEvents(chunksOf("data: one\n\ndata: ", "b".repeat(2000)), open)) events.push(event);
      })(),
    );
    expect(events).toEqual([{ data: "one" }]);
    expect(error).toMatchObject({ kind: "malformed-response" });
  });

  it("passes events under maxEventBytes however they are split", async () => {
    const data = "c".repeat(900);
    const events = await collectParts(readSseEvents(chunksOf("data: ", data.slice(0, 450), data.slice(450), "\n\ndata: [DONE]\n\n"), open));
    expect(events).toEqual([{ data }, { data: "[DONE]" }]);
  });
});
