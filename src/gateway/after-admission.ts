/**
 * An answer held until the caller's limits admitted the call (`CallContext.admitted`), while the call
 * runs meanwhile, so the limit check's round trip overlaps the engine's own work (a request id's claim,
 * planning). A refusal replaces the answer: a caller over its limits gets no replay or cache hit either.
 * Every edge uses these two; the attempt loop waits for the same promise before any vendor call.
 */

/** The unary answer, once admitted. */
export async function answerAfterAdmission<T>(admitted: Promise<void> | undefined, answer: Promise<T>): Promise<T> {
  if (admitted === undefined) return answer;
  answer.catch(() => {});
  await admitted;
  return answer;
}

/** A stream's events, started at once (its first is asked for now) and handed on once admitted. */
export async function* eventsAfterAdmission<T>(admitted: Promise<void> | undefined, events: AsyncIterable<T>): AsyncGenerator<T, void, undefined> {
  if (admitted === undefined) {
    yield* events;
    return;
  }
  const iterator = events[Symbol.asyncIterator]();
  const first = iterator.next();
  first.catch(() => {});
  let done = false;
  try {
    await admitted;
    for (let step = await first; !(done = step.done === true); step = await iterator.next()) yield step.value;
  } finally {
    if (!done) void iterator.return?.();
  }
}
