import { describe, expect, it } from "vitest";
import { ProviderError } from "../spec.js";
import { readNdjsonLines } from "./ndjson.js";
import { collectParts, rejectionOf } from "./test-support/create-test-call.js";

const encoder = new TextEncoder();

async function* chunksOf(...parts: Array<string | Uint8Array>): AsyncGenerator<Uint8Array> {
  for (const part of parts) yield typeof part === "string" ? encoder.encode(part) : part;
}

const open = { idleMs: 1000, signal: new AbortController().signal, maxEventBytes: 1024 };

describe("readNdjsonLines", () => {
  it("yields non-empty lines without their line ends", async () => {
    const lines = await collectParts(readNdjsonLines(chunksOf('{"a":1}\r\n\n{"b"', ':2}\n'), open));
    expect(lines).toEqual(['{"a":1}', '{"b":2}']);
  });

  it("yields a last line without a newline", async () => {
    expect(await collectParts(readNdjsonLines(chunksOf('{"a":1}\n{"done":true}'), open))).toEqual(['{"a":1}', '{"done":true}']);
  });

  it("decodes a multi-byte character split across chunks", async () => {
    const bytes = encoder.encode('{"t":"日本"}\n');
    const lines = await collectParts(readNdjsonLines(chunksOf(bytes.subarray(0, 8), bytes.subarray(8)), open));
    expect(lines).toEqual(['{"t":"日本"}']);
  });

  it("throws a timeout when the body goes idle", async () => {
    async function* stalls(): AsyncGenerator<Uint8Array> {
      await new Promise(() => undefined);
    }
    const error = await rejectionOf(collectParts(readNdjsonLines(stalls(), { ...open, idleMs: 20 })));
    expect((error as ProviderError).kind).toBe("timeout");
  });

  it("fails with malformed-response on a line that never ends, having held no more than maxEventBytes", async () => {
    let pulled = 0;
    async function* endless(): AsyncGenerator<Uint8Array> {
      const piece = encoder.encode("a".repeat(100));
      for (;;) {
        pulled += 1;
        yield piece;
      }
    }
    const error = await rejectionOf(collectParts(readNdjsonLines(endless(), open)));
    expect(error).toBeInstanceOf(ProviderError);
    expect(error).toMatchObject({ kind: "malformed-response", message: "The provider's stream event exceeded 1024 bytes (maxEventBytes)." });
    expect(pulled).toBe(11);
  });

  it("counts maxEventBytes in bytes: a line of exactly the limit passes, one byte more fails", async () => {
    // "é" is two bytes: 512 of them are 1,024 bytes in 512 characters.
    const exact = "é".repeat(512);
    expect(await collectParts(readNdjsonLines(chunksOf(exact.slice(0, 100), exact.slice(100), "\n"), open))).toEqual([exact]);
    const error = await rejectionOf(collectParts(readNdjsonLines(chunksOf(exact, "x\n"), open)));
    expect(error).toMatchObject({ kind: "malformed-response" });
  });

  it("fails on an oversized line that arrives whole in one chunk", async () => {
    const error = await rejectionOf(collectParts(readNdjsonLines(chunksOf(`{"a":1}\n${"z".repeat(2000)}\n`), open)));
    expect(error).toMatchObject({ kind: "malformed-response" });
  });

  it("reads a long line in many small chunks in linear time, scanning only the new bytes", async () => {
    // 16,384 chunks of 256 bytes: rescanning the buffered line per chunk would copy and search gigabytes.
    const piece = encoder.encode("d".repeat(256));
    async function* pieces(): AsyncGenerator<Uint8Array> {
      for (let index = 0; index < 16_384; index++) yield piece;
      yield encoder.encode("\n");
    }
    const started = performance.now();
    const lines = await collectParts(readNdjsonLines(pieces(), { ...open, maxEventBytes: 8 * 1024 * 1024 }));
    expect(performance.now() - started).toBeLessThan(1_000);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toHaveLength(4 * 1024 * 1024);
  });
});
