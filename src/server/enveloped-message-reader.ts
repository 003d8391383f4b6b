/**
 * Reads the one enveloped request message of a gRPC unary call or a Connect server-streaming call from
 * the Node request, refusing it as the request-size guard and connect's envelope pipe behind it would,
 * with their errors in their order: the guard's MESSAGE_TOO_LARGE (from Content-Length, the first
 * envelope's declared length, or by counting), connect's readMaxBytes check of every later envelope
 * header (`createEnvelopeDecoder`), "received compressed envelope ..." (`transformDecompressEnvelope`
 * without request compression), parse errors (`transformParseEnvelope`), "received extra input message",
 * "missing input message" (`ensureSingle`), "protocol error: incomplete envelope"
 * (`transformSplitEnvelope`).
 *
 * Why one reader for both: connect reads both through the same transforms; only the method kind in
 * `ensureSingle`'s texts differs, and the Connect protocol's end-stream flag, which connect's stream
 * handler skips in a request (it parses with `endStreamFlag` but no end-stream serialisation, so such an
 * envelope is dropped, not refused).
 *
 * The one known difference: connect reads the body through the stream's async iterator, which may join
 * chunks that arrive together; this reader sees them as they arrive. Only a body with several envelopes
 * and two errors at once could be refused with the other of the two.
 */
import { Code, ConnectError } from "@connectrpc/connect";
import { compressedFlag } from "@connectrpc/connect/protocol";
import type { NodeRequest } from "./node-handler.js";
import { messageTooLargeError } from "./request-size-guard.js";
import { singleHeader } from "./fast-path-headers.js";

/** gRPC and Connect streaming frame each message with a 5-byte prefix: flags, then a big-endian uint32 length. */
const envelopeHeaderBytes = 5;

export interface EnvelopedMessageOptions<T> {
  /** The router's readMaxBytes: the guard's limit and connect's. */
  maxBytes: number;
  /** For the guard's MESSAGE_TOO_LARGE error. */
  requestId: string;
  /** connect's parser for the method's input (limits included). */
  parse: (data: Uint8Array) => T;
  /** How connect names the method kind in "missing/extra input message for ... method". */
  methodKind: "unary" | "server-streaming";
  /** An envelope with these flags set is skipped (the Connect end-stream flag); undefined: none is. */
  skippedFlags: number | undefined;
}

/**
 * Reads the body and returns its one message, parsed. `parse` runs as soon as an envelope is complete,
 * as in connect, so a parse error wins over what follows it. The listeners stay attached once the
 * promise is settled (they do nothing then): removing them would need named closures, which cost a
 * `defineProperty` each under tsx (see fast-path-context.ts), and a refused body is still read to its
 * end, so a keep-alive connection stays usable.
 */
export function readEnvelopedMessage<T>(request: NodeRequest, options: EnvelopedMessageOptions<T>): Promise<T> {
  const { maxBytes, requestId } = options;
  const declared = Number.parseInt(singleHeader(request.headers["content-length"]) ?? "", 10);
  if (Number.isFinite(declared) && declared - envelopeHeaderBytes > maxBytes) {
    return Promise.reject(messageTooLargeError(declared - envelopeHeaderBytes, maxBytes, requestId));
  }
  return new Promise((resolve, reject) => {
    const reader = new EnvelopeReader(options);
    let settled = false;
    request.on("data", (chunk: Buffer) => {
      if (settled) return;
      try {
        reader.push(chunk);
      } catch (error) {
        settled = true;
        reject(error);
      }
    });
    request.once("end", () => {
      if (settled) return;
      settled = true;
      try {
        resolve(reader.finish());
      } catch (error) {
        reject(error);
      }
    });
    request.once("error", (error: unknown) => {
      if (settled) return;
      settled = true;
      reject(error);
    });
    // Before "end" only when the client reset the stream mid-body.
    request.once("close", () => {
      if (settled) return;
      settled = true;
      reject(new ConnectError("the client went away before the request body ended", Code.Canceled));
    });
  });
}

/**
 * The request-size guard's checks, then connect's envelope decoder (`createEnvelopeDecoder`), then
 * connect's per-envelope steps up to `ensureSingle`, fed chunk by chunk. `push` throws the first error.
 */
class EnvelopeReader<T> {
  private total = 0;
  /** The first envelope's header, as the guard collects it. */
  private readonly prefix = new Uint8Array(envelopeHeaderBytes);
  private pending: Buffer = Buffer.alloc(0);
  /** The length of the envelope whose header was consumed and whose data is incomplete. */
  private currentLength: number | undefined;
  private currentFlags = 0;
  private count = 0;
  private message: T | undefined;

  constructor(private readonly options: EnvelopedMessageOptions<T>) {}

  push(chunk: Buffer): void {
    const { maxBytes, requestId } = this.options;
    // The request-size guard (guardRequestSize): the first envelope's declared length, then the count.
    const before = this.total;
    this.total += chunk.byteLength;
    if (before < envelopeHeaderBytes) {
      const copied = Math.min(envelopeHeaderBytes - before, chunk.byteLength);
      this.prefix.set(chunk.subarray(0, copied), before);
      if (before + copied === envelopeHeaderBytes) {
        const declared = new DataView(this.prefix.buffer).getUint32(1);
        if (declared > maxBytes) throw messageTooLargeError(declared, maxBytes, requestId);
      }
    }
    if (this.total - envelopeHeaderBytes > maxBytes) throw messageTooLargeError(undefined, maxBytes, requestId);

    // connect's decoder: every envelope complete in this chunk, or its readMaxBytes error first.
    this.pending = this.pending.byteLength === 0 ? chunk : Buffer.concat([this.pending, chunk]);
    const envelopes: { flags: number; data: Uint8Array }[] = [];
    for (;;) {
      if (this.currentLength === undefined) {
        if (this.pending.byteLength < envelopeHeaderBytes) break;
        const length = this.pending.readUInt32BE(1);
        if (length > maxBytes) {
          throw new ConnectError(`message size ${length} is larger than configured readMaxBytes ${maxBytes}`, Code.ResourceExhausted);
        }
        this.currentFlags = this.pending[0];
        this.currentLength = length;
        this.pending = this.pending.subarray(envelopeHeaderBytes);
      }
      if (this.pending.byteLength < this.currentLength) break;
      envelopes.push({ flags: this.currentFlags, data: this.pending.subarray(0, this.currentLength) });
      this.pending = this.pending.subarray(this.currentLength);
      this.currentLength = undefined;
    }

    // transformDecompressEnvelope (no request compression here), transformParseEnvelope, ensureSingle.
    const skippedFlags = this.options.skippedFlags;
    for (const { flags, data } of envelopes) {
      if ((flags & compressedFlag) === compressedFlag) {
        throw new ConnectError("received compressed envelope, but do not know how to decompress", Code.Internal);
      }
      if (skippedFlags !== undefined && (flags & skippedFlags) === skippedFlags) continue;
      const message = this.options.parse(data);
      this.count += 1;
      if (this.count > 1) {
        throw new ConnectError(`protocol error: received extra input message for ${this.options.methodKind} method`, Code.Unimplemented);
      }
      this.message = message;
    }
  }

  /** The body ended: its one message, or connect's error for what is missing. */
  finish(): T {
    // As connect's decoder: the bytes it holds, so a consumed header whose data never came is not "incomplete".
    if (this.pending.byteLength > 0) {
      throw new ConnectError("protocol error: incomplete envelope", Code.InvalidArgument);
    }
    if (this.count === 0 || this.message === undefined) {
      throw new ConnectError(`protocol error: missing input message for ${this.options.methodKind} method`, Code.Unimplemented);
    }
    return this.message;
  }
}
