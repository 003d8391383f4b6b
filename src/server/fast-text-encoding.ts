/**
 * Faster UTF-8 for protobuf-es's binary format on Node. protobuf-es encodes every string field with a
 * WHATWG `TextEncoder` and validates strings with `encodeURIComponent`; on Node 20 that costs ~850 ns
 * and ~130 ns per short string (measured with 2 M calls on this project's machine), against ~160 ns for
 * `Buffer.from(text, "utf8")` and ~10 ns for `String.prototype.isWellFormed()`. A gRPC answer holds a
 * dozen strings (request id, text, the route and every attempt), so this is ~10 µs of every call.
 *
 * Same results: both encoders replace a lone surrogate with U+FFFD, and both checks refuse exactly the
 * strings with a lone surrogate. The Buffer returned is a view into Node's shared pool; protobuf-es
 * copies it into the message's bytes at the end of `toBinary`, and nothing writes to it after that.
 * Decoding keeps protobuf-es's TextDecoder, which is the faster one for short strings.
 */
import { configureTextEncoding, getTextEncoding } from "@bufbuild/protobuf/wire";

interface WellFormedString {
  isWellFormed(): boolean;
}

/** Installs the Node text encoding for protobuf-es (process-wide; call once at start). */
export function installFastTextEncoding(): void {
  const standard = getTextEncoding();
  const wellFormed = typeof (String.prototype as Partial<WellFormedString>).isWellFormed === "function";
  configureTextEncoding({
    encodeUtf8: (text) => Buffer.from(text, "utf8"),
    decodeUtf8: (bytes, strict) => standard.decodeUtf8(bytes, strict),
    checkUtf8: wellFormed ? (text) => (text as unknown as WellFormedString).isWellFormed() : (text) => standard.checkUtf8(text),
  });
}
