/**
 * One growing buffer that binary-writer.ts writes a message into, with the wire primitives it needs:
 * varints as protobuf-es writes them (a negative int32 as ten bytes), little-endian fixed widths,
 * UTF-8 strings and length-delimited sections.
 *
 * Why not protobuf-es's `BinaryWriter`: it keeps a list of chunks, encodes every string into a buffer
 * of its own, and copies each nested message once more when its length is known. Here a nested
 * message reserves one length byte and writes in place; only a section of 128 bytes or more moves (by
 * the length's extra bytes, `copyWithin`) when it ends. Strings under 43 UTF-16 units (so under 128
 * UTF-8 bytes) are written the same way, ASCII by a loop and anything else by `Buffer.write`, which
 * replaces a lone surrogate with U+FFFD as TextEncoder and `Buffer.from` do.
 *
 * Callers validate values first; the sink writes what it is given.
 */

/** Strings shorter than this encode to under 128 UTF-8 bytes (at most 3 per UTF-16 unit): one length byte. */
const SHORT_STRING = 43;
/** The buffer every message starts in; one that grew past `KEPT_BYTES` for a large message is dropped. */
const INITIAL_BYTES = 4096;
const KEPT_BYTES = 64 * 1024;

export class ByteSink {
  private buffer = Buffer.allocUnsafeSlow(INITIAL_BYTES);
  private position = 0;

  /**
   * Starts a new message, forgetting what was written. A buffer grown for a large message goes: one
   * 10 MB answer must not keep 10 MB for the rest of the process.
   */
  reset(): void {
    this.position = 0;
    if (this.buffer.length > KEPT_BYTES) this.buffer = Buffer.allocUnsafeSlow(INITIAL_BYTES);
  }

  /** How many bytes the sink holds now, written or not (for tests). */
  capacity(): number {
    return this.buffer.length;
  }

  /** A copy of what was written since `reset`. */
  finish(): Uint8Array<ArrayBuffer> {
    const bytes = new Uint8Array(this.position);
    bytes.set(this.buffer.subarray(0, this.position));
    return bytes;
  }

  /** An unsigned varint of at most 32 bits. */
  varint32(value: number): void {
    this.ensure(5);
    const buffer = this.buffer;
    let position = this.position;
    while (value > 0x7f) {
      buffer[position++] = (value & 0x7f) | 0x80;
      value = value >>> 7;
    }
    buffer[position++] = value;
    this.position = position;
  }

  /** A signed int32 as protobuf-es's `varint32write`: negative values take ten bytes. */
  int32(value: number): void {
    if (value >= 0) {
      this.varint32(value);
      return;
    }
    this.ensure(10);
    for (let index = 0; index < 9; index++) {
      this.buffer[this.position++] = (value & 127) | 128;
      value = value >> 7;
    }
    this.buffer[this.position++] = 1;
  }

  /** A 64-bit varint from its two 32-bit halves, as protobuf-es's `varint64write`. */
  varint64(lo: number, hi: number): void {
    this.ensure(10);
    const buffer = this.buffer;
    for (let index = 0; index < 28; index = index + 7) {
      const shift = lo >>> index;
      const hasNext = !(shift >>> 7 === 0 && hi === 0);
      buffer[this.position++] = (hasNext ? shift | 0x80 : shift) & 0xff;
      if (!hasNext) return;
    }
    const splitBits = ((lo >>> 28) & 0x0f) | ((hi & 0x07) << 4);
    const hasMoreBits = !(hi >> 3 === 0);
    buffer[this.position++] = (hasMoreBits ? splitBits | 0x80 : splitBits) & 0xff;
    if (!hasMoreBits) return;
    for (let index = 3; index < 31; index = index + 7) {
      const shift = hi >>> index;
      const hasNext = !(shift >>> 7 === 0);
      buffer[this.position++] = (hasNext ? shift | 0x80 : shift) & 0xff;
      if (!hasNext) return;
    }
    buffer[this.position++] = (hi >>> 31) & 0x01;
  }

  uint32LittleEndian(value: number): void {
    this.ensure(4);
    this.position = this.buffer.writeUInt32LE(value, this.position);
  }

  int32LittleEndian(value: number): void {
    this.ensure(4);
    this.position = this.buffer.writeInt32LE(value, this.position);
  }

  float32(value: number): void {
    this.ensure(4);
    this.position = this.buffer.writeFloatLE(value, this.position);
  }

  float64(value: number): void {
    this.ensure(8);
    this.position = this.buffer.writeDoubleLE(value, this.position);
  }

  /** Bytes as they are. */
  raw(bytes: Uint8Array): void {
    this.ensure(bytes.byteLength);
    this.buffer.set(bytes, this.position);
    this.position += bytes.byteLength;
  }

  /** A string as its UTF-8 byte length, then its UTF-8 bytes. */
  string(text: string): void {
    const length = text.length;
    if (length >= SHORT_STRING) {
      const byteLength = Buffer.byteLength(text, "utf8");
      this.varint32(byteLength);
      this.ensure(byteLength);
      this.position += this.buffer.write(text, this.position, "utf8");
      return;
    }
    this.ensure(1 + length * 3);
    const buffer = this.buffer;
    const start = this.position;
    let position = start + 1;
    let index = 0;
    for (; index < length; index++) {
      const code = text.charCodeAt(index);
      if (code >= 0x80) break;
      buffer[position++] = code;
    }
    if (index < length) position = start + 1 + buffer.write(text, start + 1, "utf8");
    buffer[start] = position - start - 1;
    this.position = position;
  }

  /** Reserves the length of a section that follows; pass what it returns to `endSection`. */
  beginSection(): number {
    this.ensure(1);
    return this.position++;
  }

  /** Writes the length of the section begun at `start`, moving it when the length needs more bytes. */
  endSection(start: number): void {
    const length = this.position - start - 1;
    if (length < 0x80) {
      this.buffer[start] = length;
      return;
    }
    let prefix = 1;
    for (let rest = length >>> 7; rest > 0; rest = rest >>> 7) prefix++;
    this.ensure(prefix - 1);
    this.buffer.copyWithin(start + prefix, start + 1, this.position);
    this.position += prefix - 1;
    const end = this.position;
    this.position = start;
    this.varint32(length);
    this.position = end;
  }

  private ensure(extra: number): void {
    const needed = this.position + extra;
    if (needed <= this.buffer.length) return;
    const grown = Buffer.allocUnsafeSlow(Math.max(needed, this.buffer.length * 2));
    this.buffer.copy(grown, 0, 0, this.position);
    this.buffer = grown;
  }
}
