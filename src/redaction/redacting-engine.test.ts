import { describe, expect, it } from "vitest";
import type { CallOutcome } from "../gateway/request-scope.js";
import type { CallContext, CompletionEngine, GatewayEvent, GatewayRequest, GatewayResult } from "../gateway/types.js";
import { testRequest } from "../routing/testing/engine-fixture.js";
import { createRedactingEngine } from "./redacting-engine.js";
import { SYNC_CONTENT_CHARS } from "./redact-request.js";

/** An engine that keeps the requests it is given and answers nothing useful. */
function recordingEngine(): CompletionEngine & { seen: GatewayRequest[] } {
  const seen: GatewayRequest[] = [];
  return {
    seen,
    complete: async (request) => {
      seen.push(request);
      return {} as GatewayResult;
    },
    stream: async function* (request): AsyncIterable<GatewayEvent> {
      seen.push(request);
    },
    listModels: () => ({ aliases: [], deployments: [] }),
    deploymentStats: async () => [],
    close: async () => {},
  };
}

function contextNoting(notes: CallOutcome[]): CallContext & { note(update: CallOutcome): void } {
  return { signal: new AbortController().signal, deadlineAt: Date.now() + 60_000, receivedAt: Date.now(), note: (update) => notes.push(update) };
}

const secret = "Mail jane.doe@example.com or call +44 20 7946 0958.";
const large = (): GatewayRequest =>
  testRequest("support", { messages: [{ role: "user", parts: [{ type: "text", text: `${"word ".repeat(SYNC_CONTENT_CHARS / 5)}${secret}` }] }] });

describe("createRedactingEngine", () => {
  const options = { config: () => ({ aliases: ["support"] }), callerRedacts: () => false };

  it("redacts a request larger than the one-go limit in slices before completing it, and notes the counts", async () => {
    const inner = recordingEngine();
    const notes: CallOutcome[] = [];
    await createRedactingEngine(inner, options).complete(large(), contextNoting(notes));
    const text = (inner.seen[0]?.messages[0]?.parts[0] as { text: string }).text;
    expect(text.endsWith("Mail [EMAIL_1] or call [PHONE_1].")).toBe(true);
    expect(notes).toEqual([{ redactions: { email: 1, phone: 1 } }]);
  });

  it("starts redacting a large streamed request only once the stream is read", async () => {
    const inner = recordingEngine();
    const notes: CallOutcome[] = [];
    const stream = createRedactingEngine(inner, options).stream(large(), contextNoting(notes));
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(notes).toEqual([]);
    for await (const _event of stream);
    expect((inner.seen[0]?.messages[0]?.parts[0] as { text: string }).text).not.toContain("jane.doe");
    expect(notes).toEqual([{ redactions: { email: 1, phone: 1 } }]);
  });

  it("redacts a small request in one go, before the inner engine is even called", () => {
    const inner = recordingEngine();
    void createRedactingEngine(inner, options).complete(testRequest("support", { messages: [{ role: "user", parts: [{ type: "text", text: secret }] }] }), contextNoting([]));
    expect((inner.seen[0]?.messages[0]?.parts[0] as { text: string }).text).toBe("Mail [EMAIL_1] or call [PHONE_1].");
  });
});
