/**
 * connect's per-method serialisation (`createMethodSerializationLookup`, which every fast path used),
 * with the compiled codecs in front where a message allows them: JSON requests through json-reader.ts,
 * JSON answers through json-writer.ts, binary answers through binary-writer.ts. Binary requests keep
 * protobuf-es's `fromBinary`.
 *
 * Why: protobuf-es walks every message through its reflection API. Timed inside the gateway, one call at
 * a time (when all of its code runs cold), parsing a Complete request took a median of 28 µs and
 * serialising the answer 28 µs; with the compiled codecs, 16 and 23 µs. `npx tsx bench/codec.ts` times
 * both codecs hot, in one process; docs/benchmarks.md (fifth pass) has the figures.
 *
 * Same answers: what the compiled codecs give is what protobuf-es gives (codec/*.test.ts compare them over
 * generated messages and JSON), and whenever one declines or throws, connect's own serialisation runs
 * on the same input, so every refusal keeps connect's code and text. The read and write size limits are
 * connect's `limitSerialization`.
 */
import { toBinary, type DescMessage, type DescMethod, type Message } from "@bufbuild/protobuf";
import type { Serialization } from "@connectrpc/connect/protocol";
import {
  createMethodSerializationLookup,
  limitSerialization,
  type MethodSerializationLookup,
  type validateReadWriteMaxBytes,
} from "@connectrpc/connect/protocol";
import { binaryWriterFor } from "./binary-writer.js";
import { supportsCompiledCodec } from "./compiled-codec-support.js";
import { jsonReaderFor } from "./json-reader.js";
import { jsonWriterFor } from "./json-writer.js";

type Limits = ReturnType<typeof validateReadWriteMaxBytes>;
type MessageSerialization = Serialization<Message>;

/** connect's serialisation lookup for `method`, with the compiled codecs where they apply. */
export function createCompiledSerializationLookup(method: DescMethod, limits: Limits): MethodSerializationLookup<DescMessage, DescMessage> {
  const standard = createMethodSerializationLookup(method, undefined, undefined, limits);
  const inputJson = supportsCompiledCodec(method.input) ? limitSerialization(compiledJsonInput(method.input, standard.getI(false)), limits) : standard.getI(false);
  const inputBinary = standard.getI(true);
  const outputSupported = supportsCompiledCodec(method.output);
  const outputJson = outputSupported ? limitSerialization(compiledJsonOutput(method.output, standard.getO(false)), limits) : standard.getO(false);
  const outputBinary = outputSupported ? limitSerialization(compiledBinaryOutput(method.output, standard.getO(true)), limits) : standard.getO(true);
  return {
    getI: (binary) => (binary ? inputBinary : inputJson),
    getO: (binary) => (binary ? outputBinary : outputJson),
  };
}

/** `toBinary(schema, message)`, through the compiled writer when the schema allows it. */
export function compiledToBinary(schema: DescMessage): (message: Message) => Uint8Array {
  if (!supportsCompiledCodec(schema)) return (message) => toBinary(schema, message);
  const write = binaryWriterFor(schema);
  return (message) => {
    try {
      return write(message);
    } catch {
      // protobuf-es throws its own error, naming the field.
      return toBinary(schema, message);
    }
  };
}

function compiledJsonInput(schema: DescMessage, standard: MessageSerialization): MessageSerialization {
  const read = jsonReaderFor(schema);
  // connect's decoder: UTF-8, replacing invalid sequences, dropping a byte-order mark.
  const decoder = new TextDecoder();
  return {
    parse(data) {
      let json: unknown;
      try {
        json = JSON.parse(decoder.decode(data));
      } catch {
        return standard.parse(data);
      }
      return read(json) ?? standard.parse(data);
    },
    serialize: (message) => standard.serialize(message),
  };
}

function compiledJsonOutput(schema: DescMessage, standard: MessageSerialization): MessageSerialization {
  const write = jsonWriterFor(schema);
  return {
    parse: (data) => standard.parse(data),
    serialize(message) {
      let text: string;
      try {
        text = JSON.stringify(write(message));
      } catch {
        return standard.serialize(message);
      }
      // The bytes TextEncoder gives: JSON.stringify escapes lone surrogates, so the text is well-formed.
      return Buffer.from(text, "utf8");
    },
  };
}

function compiledBinaryOutput(schema: DescMessage, standard: MessageSerialization): MessageSerialization {
  const write = binaryWriterFor(schema);
  return {
    parse: (data) => standard.parse(data),
    serialize(message) {
      try {
        return write(message);
      } catch {
        return standard.serialize(message);
      }
    },
  };
}
