/**
 * A stream whose source is opened by its first read and then read directly. It stands where a layer
 * would otherwise be a generator that only sets up and delegates (`yield* source`): like that generator,
 * nothing runs before the first `next()`, and a failure to open is that read's rejection. Unlike it, each
 * later read is the source's own promise, so the layer allocates nothing per event (docs/benchmarks.md,
 * "Layers per event").
 */
export function openOnFirstRead<T>(open: () => AsyncIterable<T> | Promise<AsyncIterable<T>>): AsyncIterableIterator<T> {
  let source: AsyncIterator<T> | undefined;
  let opening: Promise<AsyncIterator<T>> | undefined;
  let finished = false;
  const done = (): IteratorReturnResult<undefined> => ({ done: true, value: undefined });

  const start = (): Promise<AsyncIterator<T>> => {
    opening ??= (async () => {
      try {
        source = (await open())[Symbol.asyncIterator]();
        return source;
      } catch (error) {
        finished = true;
        throw error;
      }
    })();
    return opening;
  };

  return {
    [Symbol.asyncIterator]() {
      return this;
    },
    next() {
      if (source !== undefined) return source.next();
      if (finished) return Promise.resolve(done());
      return start().then((opened) => opened.next());
    },
    async return() {
      if (opening === undefined) finished = true;
      const opened = await opening?.catch(() => undefined);
      return (await opened?.return?.()) ?? done();
    },
    async throw(error: unknown) {
      if (opening === undefined) finished = true;
      const opened = await opening?.catch(() => undefined);
      if (opened?.throw !== undefined) return opened.throw(error);
      await opened?.return?.();
      throw error;
    },
  };
}
