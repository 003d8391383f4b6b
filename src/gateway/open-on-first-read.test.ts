import { describe, expect, it } from "vitest";
import { openOnFirstRead } from "./open-on-first-read.js";

async function* counted(log: string[], count: number): AsyncGenerator<number, void, undefined> {
  try {
    for (let index = 0; index < count; index++) yield index;
  } finally {
    log.push("source closed");
  }
}

async function readAll<T>(stream: AsyncIterable<T>): Promise<T[]> {
  const items: T[] = [];
  for await (const item of stream) items.push(item);
  return items;
}

describe("openOnFirstRead", () => {
  it("opens nothing until the first read, then hands over the source's own steps", async () => {
    const log: string[] = [];
    const source = counted(log, 3);
    const stream = openOnFirstRead(() => {
      log.push("opened");
      return source;
    });
    expect(log).toEqual([]);
    const first = stream.next();
    expect(log).toEqual(["opened"]);
    expect(await first).toEqual({ done: false, value: 0 });
    expect(await readAll(stream)).toEqual([1, 2]);
    expect(log).toEqual(["opened", "source closed"]);
  });

  it("waits for an asynchronous open", async () => {
    const stream = openOnFirstRead(async () => {
      await new Promise((resolve) => setTimeout(resolve, 5));
      return counted([], 2);
    });
    expect(await readAll(stream)).toEqual([0, 1]);
  });

  it("rejects the first read when opening fails, and is done after it, like a generator", async () => {
    const stream = openOnFirstRead<number>(() => {
      throw new Error("refused");
    });
    await expect(stream.next()).rejects.toThrow("refused");
    expect(await stream.next()).toEqual({ done: true, value: undefined });
  });

  it("never opens when returned before its first read", async () => {
    let opened = false;
    const stream = openOnFirstRead(() => {
      opened = true;
      return counted([], 2);
    });
    expect(await stream.return?.()).toEqual({ done: true, value: undefined });
    expect(await stream.next()).toEqual({ done: true, value: undefined });
    expect(opened).toBe(false);
  });

  it("returns the source when the reader stops early", async () => {
    const log: string[] = [];
    const stream = openOnFirstRead(() => counted(log, 10));
    for await (const item of stream) if (item === 1) break;
    expect(log).toEqual(["source closed"]);
  });
});
