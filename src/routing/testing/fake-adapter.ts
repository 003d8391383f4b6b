/**
 * An in-memory provider adapter for routing tests: each call replays a script of delays, stream parts
 * and errors on an injected (usually fake) clock, and every call is recorded — when it started, what
 * was sent, whether and when it was aborted — so tests can assert attempt order, retry timing and
 * that aborts reach the upstream call. Like the AI SDK's mock model, but time-aware.
 */
import {
  ConnectionsBusyError,
  ProviderError,
  type CompleteResult,
  type ModelCall,
  type ProviderAdapter,
  type ProviderErrorKind,
  type ProviderKind,
  type StreamPart,
  type ToolCall,
  type Usage,
} from "../../providers/spec.js";
import type { Clock } from "../../resilience/clock.js";

export type FakeStep =
  | { type: "delay"; ms: number }
  | { type: "part"; part: StreamPart }
  | { type: "error"; error: ProviderError }
  /** Waits `ms` for a connection, as the pooled client does when all are busy, telling the call's observer. */
  | { type: "wait-for-connection"; ms: number }
  /** Refused by the gateway's own pool: every connection busy, the queue full. */
  | { type: "busy" }
  /** Never answers (until aborted). */
  | { type: "hang" };

export type FakeScript = FakeStep[];

export interface FakeCallRecord {
  mode: "complete" | "stream";
  call: ModelCall;
  startedAt: number;
  /** When the call finished, failed or was aborted. */
  endedAt?: number;
  abortedAt?: number;
}

export interface FakeAdapter extends ProviderAdapter {
  readonly calls: FakeCallRecord[];
  /** Calls for one vendor model, in order. */
  callsFor(vendorModel: string): FakeCallRecord[];
}

export interface FakeAdapterOptions {
  clock: Clock;
  kind?: ProviderKind;
  /**
   * Scripts by vendor model: the n-th call to a model replays the n-th script; the last script repeats
   * once the list runs out. A function gets the model's call index instead.
   */
  scripts: Record<string, FakeScript[] | ((index: number, call: ModelCall) => FakeScript)>;
}

/** A successful answer: optional wait for the first token, `text` in `chunks` pieces, then finish. */
export function scriptText(
  text: string,
  options: { usage?: Usage; firstTokenMs?: number; chunks?: number; chunkDelayMs?: number; vendorModel?: string } = {},
): FakeScript {
  const steps: FakeScript = [];
  if (options.vendorModel !== undefined) steps.push({ type: "part", part: { type: "metadata", vendorModel: options.vendorModel } });
  if (options.firstTokenMs !== undefined) steps.push({ type: "delay", ms: options.firstTokenMs });
  const chunks = Math.max(1, options.chunks ?? 1);
  const size = Math.ceil(text.length / chunks);
  for (let index = 0; index < chunks; index += 1) {
    if (index > 0 && options.chunkDelayMs !== undefined) steps.push({ type: "delay", ms: options.chunkDelayMs });
    const piece = text.slice(index * size, (index + 1) * size);
    if (piece !== "") steps.push({ type: "part", part: { type: "text-delta", text: piece } });
  }
  steps.push({
    type: "part",
    part: { type: "finish", finishReason: "stop", rawFinishReason: "stop", usage: options.usage ?? { inputTokens: 10, outputTokens: 5 } },
  });
  return steps;
}

/** A failure of `kind` after `afterMs`. */
export function scriptError(
  kind: ProviderErrorKind,
  options: { afterMs?: number; retryAfterMs?: number; usage?: Usage; status?: number } = {},
): FakeScript {
  const steps: FakeScript = [];
  if (options.afterMs !== undefined) steps.push({ type: "delay", ms: options.afterMs });
  steps.push({
    type: "error",
    error: new ProviderError(kind, `fake ${kind}`, {
      retryAfterMs: options.retryAfterMs,
      usage: options.usage,
      status: options.status,
    }),
  });
  return steps;
}

/** The call waits `waitMs` for a connection, then goes on with `then`. */
export function scriptWaitForConnection(waitMs: number, then: FakeScript): FakeScript {
  return [{ type: "wait-for-connection", ms: waitMs }, ...then];
}

function abortError(): ProviderError {
  return new ProviderError("canceled", "fake call aborted");
}

/** Creates the adapter. */
export function createFakeAdapter(options: FakeAdapterOptions): FakeAdapter {
  const { clock } = options;
  const calls: FakeCallRecord[] = [];
  const counts = new Map<string, number>();

  const scriptFor = (call: ModelCall): FakeScript => {
    const entry = options.scripts[call.vendorModel];
    if (entry === undefined) throw new Error(`fake adapter has no script for ${call.vendorModel}`);
    const index = counts.get(call.vendorModel) ?? 0;
    counts.set(call.vendorModel, index + 1);
    if (typeof entry === "function") return entry(index, call);
    return entry[Math.min(index, entry.length - 1)];
  };

  async function* replay(record: FakeCallRecord, script: FakeScript, signal: AbortSignal): AsyncGenerator<StreamPart> {
    const onAbort = (): void => {
      record.abortedAt ??= clock.now();
    };
    signal.addEventListener("abort", onAbort, { once: true });
    try {
      for (const step of script) {
        if (signal.aborted) throw abortError();
        if (step.type === "delay") {
          await clock.sleep(step.ms, signal).catch(() => {
            throw abortError();
          });
        } else if (step.type === "hang") {
          await new Promise<never>((_, reject) => {
            if (signal.aborted) reject(abortError());
            signal.addEventListener("abort", () => reject(abortError()), { once: true });
          });
        } else if (step.type === "wait-for-connection") {
          record.call.dispatch?.waiting();
          await clock.sleep(step.ms, signal).catch(() => {
            throw abortError();
          });
          record.call.dispatch?.sent();
        } else if (step.type === "busy") {
          throw new ConnectionsBusyError("fake: every connection busy");
        } else if (step.type === "error") {
          throw step.error;
        } else {
          yield step.part;
        }
      }
    } finally {
      record.endedAt ??= clock.now();
      signal.removeEventListener("abort", onAbort);
    }
  }

  return {
    kind: options.kind ?? "openai-compatible",
    calls,
    callsFor: (vendorModel) => calls.filter((c) => c.call.vendorModel === vendorModel),
    async complete(call, signal): Promise<CompleteResult> {
      const record: FakeCallRecord = { mode: "complete", call, startedAt: clock.now() };
      calls.push(record);
      const result: CompleteResult = {
        text: "",
        reasoning: "",
        toolCalls: [],
        finishReason: "other",
        rawFinishReason: "",
        usage: {},
        warnings: [],
      };
      const tools = new Map<number, ToolCall>();
      for await (const part of replay(record, scriptFor(call), signal)) {
        if (part.type === "text-delta") result.text += part.text;
        else if (part.type === "reasoning-delta") result.reasoning += part.text;
        else if (part.type === "warning") result.warnings.push(part.warning);
        else if (part.type === "metadata") result.vendorModel = part.vendorModel;
        else if (part.type === "tool-call-delta") {
          const current = tools.get(part.index) ?? { id: "", name: "", argumentsJson: "" };
          tools.set(part.index, {
            id: part.id ?? current.id,
            name: part.name ?? current.name,
            argumentsJson: current.argumentsJson + part.argumentsDelta,
          });
        } else {
          result.finishReason = part.finishReason;
          result.rawFinishReason = part.rawFinishReason;
          result.usage = part.usage;
        }
      }
      result.toolCalls = [...tools.values()];
      return result;
    },
    stream(call, signal) {
      const record: FakeCallRecord = { mode: "stream", call, startedAt: clock.now() };
      calls.push(record);
      return replay(record, scriptFor(call), signal);
    },
    async close() {},
  };
}
