import { describe, expect, it } from "vitest";
import { ProviderError } from "../spec.js";
import { readNdjsonLines } from "./ndjson.js";
import { collectParts, rejectionOf } from "./test-support/create-test-call.js";

const encoder = new TextEncoder();

async function* chunksOf(...parts: Array<string | Uint8Array>): AsyncGenerator<Uint8Array> {
  for (const part of parts) yield typeof part === "string" ? encoder.encode(part) : part;
}

const open = { idleMs: 1000, signal: new AbortController().signal };

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
    const error = await rejectionOf(collectParts(readNdjsonLines(stalls(), { idleMs: 20, signal: new AbortController().signal })));
    expect((error as ProviderError).kind).toBe("timeout");
  });
});
