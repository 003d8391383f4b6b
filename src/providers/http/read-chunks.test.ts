import { describe, expect, it } from "vitest";
import { ProviderError } from "../spec.js";
import { readChunks } from "./read-chunks.js";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A body that yields each chunk after its delay. */
async function* paced(chunks: { text: string; afterMs: number }[]): AsyncGenerator<Uint8Array> {
  for (const chunk of chunks) {
    await sleep(chunk.afterMs);
    yield new TextEncoder().encode(chunk.text);
  }
}

async function readAll(body: AsyncIterable<Uint8Array>, options: { idleMs: number; signal: AbortSignal }, perChunkMs = 0): Promise<string> {
  let text = "";
  for await (const chunk of readChunks(body, options)) {
    text += new TextDecoder().decode(chunk);
    if (perChunkMs > 0) await sleep(perChunkMs);
  }
  return text;
}

describe("readChunks", () => {
  it("times out when the upstream is silent for longer than idleMs between chunks", async () => {
    const body = paced([{ text: "a", afterMs: 0 }, { text: "b", afterMs: 5 }, { text: "c", afterMs: 120 }]);
    const error = await readAll(body, { idleMs: 40, signal: new AbortController().signal }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ProviderError);
    expect((error as ProviderError).kind).toBe("timeout");
  });

  it("does not count the consumer's own time on a chunk as the upstream being idle", async () => {
    const body = paced([{ text: "a", afterMs: 0 }, { text: "b", afterMs: 5 }, { text: "c", afterMs: 5 }]);
    expect(await readAll(body, { idleMs: 40, signal: new AbortController().signal }, 80)).toBe("abc");
  });

  it("re-arms the idle limit for every read, so a long stream of quick chunks never times out", async () => {
    const body = paced(Array.from({ length: 20 }, (_, index) => ({ text: String(index % 10), afterMs: 10 })));
    expect(await readAll(body, { idleMs: 40, signal: new AbortController().signal })).toBe("01234567890123456789");
  });

  it("rejects a pending read with canceled when the caller aborts", async () => {
    const controller = new AbortController();
    const body = paced([{ text: "a", afterMs: 0 }, { text: "b", afterMs: 500 }]);
    const reading = readAll(body, { idleMs: 10_000, signal: controller.signal }).catch((caught: unknown) => caught);
    await sleep(20);
    controller.abort(new Error("gone"));
    const error = await reading;
    expect((error as ProviderError).kind).toBe("canceled");
  });

  it("refuses to start when the signal has aborted already", async () => {
    const error = await readAll(paced([{ text: "a", afterMs: 0 }]), { idleMs: 1_000, signal: AbortSignal.abort() }).catch((caught: unknown) => caught);
    expect((error as ProviderError).kind).toBe("canceled");
  });

  it("ends a pending read and returns the source without waiting when the reader stops", async () => {
    let returned = false;
    const body: AsyncIterable<Uint8Array> = {
      [Symbol.asyncIterator]: () => ({
        next: () => new Promise<IteratorResult<Uint8Array>>(() => {}),
        return: async () => {
          returned = true;
          return { done: true, value: undefined };
        },
      }),
    };
    const reader = readChunks(body, { idleMs: 10_000, signal: new AbortController().signal });
    const pending = reader.next();
    await reader.return?.();
    expect(await pending).toEqual({ done: true, value: undefined });
    await sleep(0);
    expect(returned).toBe(true);
    expect(await reader.next()).toEqual({ done: true, value: undefined });
  });

  it("is done after a failure, like a generator", async () => {
    const reader = readChunks(paced([{ text: "a", afterMs: 0 }, { text: "b", afterMs: 200 }]), { idleMs: 30, signal: new AbortController().signal });
    expect((await reader.next()).done).toBe(false);
    await expect(reader.next()).rejects.toBeInstanceOf(ProviderError);
    expect(await reader.next()).toEqual({ done: true, value: undefined });
  });
});
