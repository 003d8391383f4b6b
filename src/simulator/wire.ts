/**
 * The contract every `<vendor>-wire.ts` implements: turn a vendor-neutral {@link Reply} into that
 * vendor's bytes. Same shape in each file (as connect-es does for protocols), so knowing one means
 * knowing all. Events are serialised up front, so the writer does no per-chunk JSON work while pacing.
 */
import type { IdSource, PromptText, Reply, Vendor } from "./behavior.js";

/** One pre-serialised stream event, written with a single `res.write` (two with `splitUtf8`). */
export interface WireEvent {
  bytes: string | Buffer;
  /** Counts toward the `*-after: k` fault budget (text/reasoning deltas, tool-call pieces). */
  content?: boolean;
  /** Part of the vendor terminator ([DONE], message_delta/message_stop, finishReason chunk, done:true). */
  terminal?: boolean;
}

/** A complete non-streaming response. */
export interface UnaryResponse {
  status: number;
  headers: Record<string, string>;
  /** A Buffer only for byte-exact fixture replay. */
  body: string | Buffer;
}

/** A streaming response: headers (including content-type) and the events in order. */
export interface StreamResponse {
  headers: Record<string, string>;
  events: WireEvent[];
}

/** What a wire file knows about the request it answers. */
export interface WireContext {
  /** Request number (1-based); seeds the deterministic ids. */
  requestId: number;
  model: string;
  stream: boolean;
  body: Record<string, unknown>;
  query: URLSearchParams;
  ids: IdSource;
  /** Date.now() when the request arrived. */
  receivedAt: number;
}

/** A request rejected before any behaviour applies (the real API would reject it too). */
export interface WireRejection {
  status: number;
  message: string;
  errorType?: string;
}

/** What a vendor's request path says beyond which vendor it is for. */
export interface WireRoute {
  /** The model, when the path names it (Azure deployment, Gemini model). */
  model?: string;
  /** Whether the path asks for a stream (Gemini's `streamGenerateContent`). */
  pathStream?: boolean;
}

export interface VendorWire {
  readonly vendor: Vendor;
  /** The path under the server root that a client's base URL for this vendor ends with (OpenAI: "/v1"). */
  readonly basePath: string;
  /** This vendor's route for a POST to `pathname`; undefined when the path is not one of its endpoints. */
  route(pathname: string): WireRoute | undefined;
  /** Whether the request asks for a stream (vendor defaults differ: Ollama streams unless told not to). */
  isStream(body: Record<string, unknown>, pathStream: boolean | undefined): boolean;
  promptOf(body: Record<string, unknown>): PromptText;
  validate(body: Record<string, unknown>, context: WireContext): WireRejection | undefined;
  unary(reply: Reply, context: WireContext): UnaryResponse;
  stream(reply: Reply, context: WireContext): StreamResponse;
  /** A vendor-shaped error response; `retryAfterSeconds` feeds Gemini's RetryInfo. */
  error(status: number, context: WireContext, options?: WireErrorOptions): UnaryResponse;
  /** A stream event whose JSON is cut short, in the vendor's framing. */
  malformedEvent(context: WireContext): string;
  /** The vendor's in-band error event, sent after HTTP 200. */
  inBandError(context: WireContext, message?: string): string;
  /** Content types used for fixture replay. */
  readonly contentTypes: { json: string; stream: string };
}

export interface WireErrorOptions {
  message?: string;
  errorType?: string;
  /** A vendor error code, where the vendor's error body has one (OpenAI's `error.code`). */
  errorCode?: string;
  retryAfterSeconds?: number;
}

/** Collects text from a string or an array of `{type:"text", text}` / `{text}` blocks. */
export function textOf(content: unknown): string {
  if (typeof content === "string") return content;
  if (!Array.isArray(content)) return "";
  const texts: string[] = [];
  for (const block of content) {
    if (block !== null && typeof block === "object" && typeof (block as { text?: unknown }).text === "string") {
      const type = (block as { type?: unknown }).type;
      if (type === undefined || type === "text") texts.push((block as { text: string }).text);
    }
  }
  return texts.join(" ");
}

/** Reads a `{role, content}` message list (OpenAI, Anthropic and Ollama all use this shape). */
export function promptOfMessages(messages: unknown, system?: unknown): PromptText {
  const list = Array.isArray(messages) ? messages : [];
  let lastUserText: string | undefined;
  const all: string[] = [textOf(system)];
  for (const message of list) {
    if (message === null || typeof message !== "object") continue;
    const { role, content } = message as { role?: unknown; content?: unknown };
    const text = textOf(content);
    all.push(text);
    if (role === "user" && text.trim().length > 0) lastUserText = text;
  }
  return { lastUserText, promptText: all.join(" ") };
}

/** Spreads a final count over the deltas: the running value after each of `pieces` (last = total). */
export function runningCounts(total: number, pieces: readonly string[]): number[] {
  const lengths = pieces.map((piece) => piece.length);
  const sum = lengths.reduce((a, b) => a + b, 0) || 1;
  let seen = 0;
  return lengths.map((length) => {
    seen += length;
    return Math.min(total, Math.max(1, Math.ceil((total * seen) / sum)));
  });
}
