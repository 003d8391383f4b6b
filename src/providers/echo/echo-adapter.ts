import { collectStream } from "../http/stream-to-result.js";
import { ProviderError, type ChatMessage, type ModelCall, type ProviderAdapter, type StreamPart } from "../spec.js";

function wordsOf(text: string): string[] {
  return text.split(/\s+/).filter((word) => word !== "");
}

function textOf(message: ChatMessage): string {
  return message.parts.map((part) => (part.type === "text" ? part.text : "")).join(" ");
}

/** `echo` answers at once; `echo-25ms` waits 25 ms before each word. Other names: no delay. */
function wordDelayMs(vendorModel: string): number {
  const match = /^echo(?:-(\d+)ms)?$/.exec(vendorModel);
  return match?.[1] === undefined ? 0 : Number(match[1]);
}

function canceled(signal: AbortSignal): ProviderError {
  return new ProviderError("canceled", "The call was canceled by the caller.", { cause: signal.reason });
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) {
      reject(canceled(signal));
      return;
    }
    const onAbort = () => {
      clearTimeout(timer);
      reject(canceled(signal));
    };
    const timer = setTimeout(() => {
      signal.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal.addEventListener("abort", onAbort, { once: true });
  });
}

/**
 * Creates the `echo` adapter: no network, it repeats the last user message word by word (each delta
 * a word and the space after it; the last word has none, so the deltas join to the words), then finishes with "stop". It exists so users can test their
 * integration (streaming, cancel, usage accounting) without a vendor account. Its usage counts
 * *words* as tokens, honestly: input is the words in all messages, output the words echoed. A model
 * named `echo-<n>ms` waits n milliseconds before each word, to exercise timeouts and cancel; the
 * abort signal is honoured at once, also during the wait.
 */
export function createEchoAdapter(): ProviderAdapter {
  async function* stream(call: ModelCall, signal: AbortSignal): AsyncGenerator<StreamPart, void, undefined> {
    if (signal.aborted) throw canceled(signal);
    const lastUser = [...call.messages].reverse().find((message) => message.role === "user");
    const words = lastUser === undefined ? [] : wordsOf(textOf(lastUser));
    const inputTokens = call.messages.reduce((sum, message) => sum + wordsOf(textOf(message)).length, 0);
    const delayMs = wordDelayMs(call.vendorModel);
    yield { type: "metadata", vendorModel: call.vendorModel };
    for (const [at, word] of words.entries()) {
      if (delayMs > 0) await sleep(delayMs, signal);
      if (signal.aborted) throw canceled(signal);
      yield { type: "text-delta", text: at === words.length - 1 ? word : `${word} ` };
    }
    yield { type: "finish", finishReason: "stop", rawFinishReason: "stop", usage: { inputTokens, outputTokens: words.length } };
  }

  return {
    kind: "echo",
    complete: (call, signal) => collectStream(stream(call, signal)),
    stream,
    close: async () => undefined,
  };
}
