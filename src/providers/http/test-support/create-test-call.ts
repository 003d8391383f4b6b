import type { ModelCall } from "../../spec.js";

/** A minimal call for adapter tests: one user message, generous time limits. */
export function createTestCall(overrides: Partial<ModelCall> = {}): ModelCall {
  return {
    vendorModel: "test-model",
    messages: [{ role: "user", parts: [{ type: "text", text: "Hello there" }] }],
    sampling: { stopSequences: [] },
    tools: [],
    timeouts: { connectMs: 5_000, firstTokenMs: 10_000, idleMs: 10_000, totalMs: 30_000 },
    ...overrides,
  };
}

/** Collects every part of a stream into an array (rethrows the stream's error). */
export async function collectParts<T>(parts: AsyncIterable<T>): Promise<T[]> {
  const result: T[] = [];
  for await (const part of parts) result.push(part);
  return result;
}

/** Resolves with the error a promise rejects with; fails when it resolves. */
export async function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error("Expected a rejection, got a result.");
}
