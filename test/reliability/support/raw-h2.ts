/**
 * A bare HTTP/2 client over one TCP socket that writes frames itself, for the abuse an ordinary client
 * will not commit: Node's own http2 client holds back streams past the server's
 * SETTINGS_MAX_CONCURRENT_STREAMS and never resets streams in a tight loop. It speaks just enough
 * (preface, SETTINGS and its ACK, HEADERS with literal HPACK fields, DATA, RST_STREAM) and counts what
 * the server answers: responses, stream resets by error code, GOAWAY.
 */
import net from "node:net";
import { create, toBinary } from "@bufbuild/protobuf";
import { StreamCompleteRequestSchema } from "../../../gen/modelgate/v1/stream_pb.js";
import { http2Preface } from "../../../src/server/listener.js";
import { userText } from "../../e2e/harness.js";

const FRAME = { DATA: 0x0, HEADERS: 0x1, RST_STREAM: 0x3, SETTINGS: 0x4, PING: 0x6, GOAWAY: 0x7, WINDOW_UPDATE: 0x8, CONTINUATION: 0x9 } as const;
/** The default SETTINGS_MAX_FRAME_SIZE: a longer header block goes on in CONTINUATION frames. */
const MAX_FRAME_BYTES = 16_384;
const FLAG = { END_STREAM: 0x1, ACK: 0x1, END_HEADERS: 0x4 } as const;
/** RST_STREAM / GOAWAY error codes (RFC 9113 section 7). */
export const H2_ERROR: Record<number, string> = {
  0: "NO_ERROR",
  1: "PROTOCOL_ERROR",
  2: "INTERNAL_ERROR",
  3: "FLOW_CONTROL_ERROR",
  5: "STREAM_CLOSED",
  6: "FRAME_SIZE_ERROR",
  7: "REFUSED_STREAM",
  8: "CANCEL",
  11: "ENHANCE_YOUR_CALM",
};

function frame(type: number, flags: number, streamId: number, payload: Buffer = Buffer.alloc(0)): Buffer {
  const header = Buffer.alloc(9);
  header.writeUIntBE(payload.length, 0, 3);
  header.writeUInt8(type, 3);
  header.writeUInt8(flags, 4);
  header.writeUInt32BE(streamId & 0x7fffffff, 5);
  return Buffer.concat([header, payload]);
}

/** An HPACK integer with an `prefixBits`-bit prefix (RFC 7541 section 5.1). */
function hpackInteger(value: number, prefixBits: number, firstByte = 0): Buffer {
  const max = (1 << prefixBits) - 1;
  if (value < max) return Buffer.from([firstByte | value]);
  const bytes = [firstByte | max];
  let rest = value - max;
  while (rest >= 128) {
    bytes.push((rest % 128) + 128);
    rest = Math.floor(rest / 128);
  }
  bytes.push(rest);
  return Buffer.from(bytes);
}

/** A header block of literal fields without indexing, no Huffman coding. */
function headerBlock(headers: [string, string][]): Buffer {
  return Buffer.concat(
    headers.flatMap(([name, value]) => [Buffer.from([0x00]), hpackInteger(name.length, 7), Buffer.from(name), hpackInteger(Buffer.byteLength(value), 7), Buffer.from(value)]),
  );
}

/** A gRPC StreamComplete call's request: the length-prefixed message. */
export function grpcStreamRequestBody(model: string, text: string): Buffer {
  const message = Buffer.from(toBinary(StreamCompleteRequestSchema, create(StreamCompleteRequestSchema, { model, messages: [userText(text)] })));
  const prefix = Buffer.alloc(5);
  prefix.writeUInt32BE(message.length, 1);
  return Buffer.concat([prefix, message]);
}

export interface RawH2Counts {
  /** Response HEADERS frames received (first or trailers). */
  headers: number;
  /** RST_STREAM frames received, by error name. */
  resets: Record<string, number>;
  /** The GOAWAY error name, if the server sent one. */
  goaway?: string;
  /** DATA bytes received. */
  dataBytes: number;
}

export interface RawH2Connection {
  readonly counts: RawH2Counts;
  /** Streams opened so far. */
  readonly opened: number;
  /** Opens a gRPC stream to `path` with `body` (one DATA frame, END_STREAM); returns its id. */
  open(path: string, body: Buffer, extraHeaders?: [string, string][]): number;
  /** Resets a stream with CANCEL, as a client that gave up does. */
  reset(streamId: number): void;
  /** Resolves when everything written so far has been handed to the kernel. */
  flushed(): Promise<void>;
  /** The socket has closed (the server hung up, or `close` was called). */
  readonly closed: boolean;
  close(): void;
}

/** Connects, sends the preface and SETTINGS, and resolves once the server's SETTINGS arrived. */
export function connectRawH2(port: number, host = "127.0.0.1"): Promise<RawH2Connection> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, host);
    const counts: RawH2Counts = { headers: 0, resets: {}, dataBytes: 0 };
    let buffered: Buffer = Buffer.alloc(0);
    let nextStreamId = 1;
    let closed = false;
    let settled = false;
    const authority = `${host}:${port}`;

    const connection: RawH2Connection = {
      counts,
      get opened() {
        return (nextStreamId - 1) / 2;
      },
      get closed() {
        return closed;
      },
      open(path, body, extraHeaders = []) {
        const streamId = nextStreamId;
        nextStreamId += 2;
        const block = headerBlock([
          [":method", "POST"],
          [":scheme", "http"],
          [":path", path],
          [":authority", authority],
          ["content-type", "application/grpc"],
          ["te", "trailers"],
          ...extraHeaders,
        ]);
        const pieces: Buffer[] = [];
        for (let offset = 0; offset < block.length || offset === 0; offset += MAX_FRAME_BYTES) pieces.push(block.subarray(offset, offset + MAX_FRAME_BYTES));
        const frames = pieces.map((piece, index) =>
          frame(index === 0 ? FRAME.HEADERS : FRAME.CONTINUATION, index === pieces.length - 1 ? FLAG.END_HEADERS : 0, streamId, piece),
        );
        socket.write(Buffer.concat([...frames, frame(FRAME.DATA, FLAG.END_STREAM, streamId, body)]));
        return streamId;
      },
      reset(streamId) {
        const code = Buffer.alloc(4);
        code.writeUInt32BE(8);
        socket.write(frame(FRAME.RST_STREAM, 0, streamId, code));
      },
      flushed() {
        return new Promise((done) => socket.write(Buffer.alloc(0), () => done()));
      },
      close() {
        socket.destroy();
      },
    };

    socket.on("connect", () => {
      // A large connection window, so responses are never held back by us.
      const increment = Buffer.alloc(4);
      increment.writeUInt32BE(1 << 30);
      socket.write(Buffer.concat([http2Preface, frame(FRAME.SETTINGS, 0, 0), frame(FRAME.WINDOW_UPDATE, 0, 0, increment)]));
    });
    socket.on("data", (data: Buffer) => {
      buffered = buffered.length === 0 ? data : Buffer.concat([buffered, data]);
      while (buffered.length >= 9) {
        const length = buffered.readUIntBE(0, 3);
        if (buffered.length < 9 + length) break;
        const type = buffered.readUInt8(3);
        const flags = buffered.readUInt8(4);
        const payload = buffered.subarray(9, 9 + length);
        buffered = buffered.subarray(9 + length);
        if (type === FRAME.SETTINGS && (flags & FLAG.ACK) === 0) {
          socket.write(frame(FRAME.SETTINGS, FLAG.ACK, 0));
          if (!settled) {
            settled = true;
            resolve(connection);
          }
        } else if (type === FRAME.PING && (flags & FLAG.ACK) === 0) {
          socket.write(frame(FRAME.PING, FLAG.ACK, 0, payload));
        } else if (type === FRAME.HEADERS) {
          counts.headers += 1;
        } else if (type === FRAME.DATA) {
          counts.dataBytes += length;
        } else if (type === FRAME.RST_STREAM) {
          const name = H2_ERROR[payload.readUInt32BE(0)] ?? `code ${payload.readUInt32BE(0)}`;
          counts.resets[name] = (counts.resets[name] ?? 0) + 1;
        } else if (type === FRAME.GOAWAY) {
          counts.goaway = H2_ERROR[payload.readUInt32BE(4)] ?? `code ${payload.readUInt32BE(4)}`;
        }
      }
    });
    socket.on("error", () => undefined);
    socket.on("close", () => {
      closed = true;
      if (!settled) {
        settled = true;
        reject(new Error("the server closed the connection before its SETTINGS"));
      }
    });
  });
}
