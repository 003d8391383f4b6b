/**
 * The protobuf binary encoding of a message, byte for byte what protobuf-es's `toBinary` writes (fields
 * in number order, set fields only, packed lists where the field is packed, unknown fields last), compiled
 * once per schema into one function per field and written into one reused buffer (byte-sink.ts), where
 * protobuf-es walks the schema through reflection wrappers and its `BinaryWriter` keeps chunks for every
 * string and nested message (`npx tsx bench/codec.ts` times both).
 *
 * Values are checked as protobuf-es's writer checks them (32-bit ranges, float32 range, 64-bit
 * integers through `protoInt64`), but only the types protobuf-es's own messages hold are taken (numbers
 * for 32-bit fields, not numeric strings). Anything else throws; the caller then lets protobuf-es encode
 * the message, which writes it or throws its own error naming the field. Messages that
 * compiled-codec-support.ts refuses are never compiled.
 */
import { protoInt64, ScalarType, type DescField, type DescMessage } from "@bufbuild/protobuf";
import { WireType } from "@bufbuild/protobuf/wire";
import { ByteSink } from "./byte-sink.js";
import { fieldValue, isFieldSet, sortedFields } from "./compiled-codec-support.js";

/** Encodes a message of the compiled schema. */
export type BinaryMessageWriter = (message: object) => Uint8Array<ArrayBuffer>;

type MessageObject = Record<string, unknown>;
type FieldsWriter = (message: MessageObject, sink: ByteSink) => void;
type ValueWriter = (sink: ByteSink, value: unknown) => void;

interface UnknownField {
  no: number;
  wireType: WireType;
  data: Uint8Array;
}

const INT32_MIN = -0x80000000;
const INT32_MAX = 0x7fffffff;
const UINT32_MAX = 0xffffffff;
const FLOAT32_MAX = 3.4028234663852886e38;

/** One sink for every message: writing is synchronous, so no two messages are written at once. */
const sink = new ByteSink();

const compiled = new WeakMap<DescMessage, FieldsWriter>();

/** The binary writer for `schema` (which compiled-codec-support.ts must accept), compiled on first use. */
export function binaryWriterFor(schema: DescMessage): BinaryMessageWriter {
  const writeFields = fieldsWriter(schema);
  return (message) => {
    sink.reset();
    writeFields(message as MessageObject, sink);
    return sink.finish();
  };
}

function fieldsWriter(schema: DescMessage): FieldsWriter {
  const known = compiled.get(schema);
  if (known !== undefined) return known;
  const steps: FieldsWriter[] = [];
  const writeFields: FieldsWriter = (message, output) => {
    for (const step of steps) step(message, output);
    const unknown = message.$unknown as UnknownField[] | undefined;
    if (unknown === undefined) return;
    for (const { no, wireType, data } of unknown) {
      output.varint32(((no << 3) | wireType) >>> 0);
      output.raw(data);
    }
  };
  // Registered before its fields compile, so a message that holds itself finds its own writer.
  compiled.set(schema, writeFields);
  for (const field of sortedFields(schema)) steps.push(fieldStep(field));
  return writeFields;
}

function fieldStep(field: DescField): FieldsWriter {
  const write = valueWriter(field);
  return (message, output) => {
    if (isFieldSet(message, field)) write(output, fieldValue(message, field));
  };
}

/** Writes a set field, tag included. */
function valueWriter(field: DescField): ValueWriter {
  const number = field.number;
  switch (field.fieldKind) {
    case "scalar":
    case "enum": {
      const scalar = field.scalar ?? ScalarType.INT32;
      return tagged(number, scalar, scalarWriter(scalar));
    }
    case "message":
      return nestedWriter(number, fieldsWriter(field.message));
    case "list": {
      if (field.listKind === "message") {
        const writeItem = nestedWriter(number, fieldsWriter(field.message));
        return (output, value) => {
          for (const item of value as unknown[]) writeItem(output, item);
        };
      }
      const scalar = field.scalar ?? ScalarType.INT32;
      const writeValue = scalarWriter(scalar);
      if (field.packed) {
        const tag = tagOf(number, WireType.LengthDelimited);
        return (output, value) => {
          output.varint32(tag);
          const start = output.beginSection();
          for (const item of value as unknown[]) writeValue(output, item);
          output.endSection(start);
        };
      }
      const writeItem = tagged(number, scalar, writeValue);
      return (output, value) => {
        for (const item of value as unknown[]) writeItem(output, item);
      };
    }
    case "map": {
      const tag = tagOf(number, WireType.LengthDelimited);
      const writeKey = tagged(1, field.mapKey, scalarWriter(field.mapKey));
      const valueScalar = field.scalar ?? ScalarType.INT32;
      const writeEntryValue = field.mapKind === "message" ? nestedWriter(2, fieldsWriter(field.message)) : tagged(2, valueScalar, scalarWriter(valueScalar));
      return (output, value) => {
        const entries = value as Record<string, unknown>;
        for (const key of Object.keys(entries)) {
          output.varint32(tag);
          const start = output.beginSection();
          writeKey(output, key);
          writeEntryValue(output, entries[key]);
          output.endSection(start);
        }
      };
    }
  }
}

function nestedWriter(number: number, writeFields: FieldsWriter): ValueWriter {
  const tag = tagOf(number, WireType.LengthDelimited);
  return (output, value) => {
    output.varint32(tag);
    const start = output.beginSection();
    writeFields(value as MessageObject, output);
    output.endSection(start);
  };
}

function tagged(number: number, scalar: ScalarType, writeValue: ValueWriter): ValueWriter {
  const tag = tagOf(number, wireTypeOf(scalar));
  return (output, value) => {
    output.varint32(tag);
    writeValue(output, value);
  };
}

function tagOf(number: number, wireType: WireType): number {
  return ((number << 3) | wireType) >>> 0;
}

function wireTypeOf(scalar: ScalarType): WireType {
  switch (scalar) {
    case ScalarType.BYTES:
    case ScalarType.STRING:
      return WireType.LengthDelimited;
    case ScalarType.DOUBLE:
    case ScalarType.FIXED64:
    case ScalarType.SFIXED64:
      return WireType.Bit64;
    case ScalarType.FIXED32:
    case ScalarType.SFIXED32:
    case ScalarType.FLOAT:
      return WireType.Bit32;
    default:
      return WireType.Varint;
  }
}

/** The value's bytes, without the tag, as protobuf-es's `BinaryWriter` method for the type writes them. */
function scalarWriter(scalar: ScalarType): ValueWriter {
  switch (scalar) {
    case ScalarType.STRING:
      return (output, value) => {
        if (typeof value !== "string") throw new TypeError("expected a string");
        output.string(value);
      };
    case ScalarType.BOOL:
      return (output, value) => {
        if (typeof value !== "boolean") throw new TypeError("expected a boolean");
        output.varint32(value ? 1 : 0);
      };
    case ScalarType.DOUBLE:
      return (output, value) => output.float64(number(value));
    case ScalarType.FLOAT:
      return (output, value) => {
        const float = number(value);
        if (Number.isFinite(float) && (float > FLOAT32_MAX || float < -FLOAT32_MAX)) throw new RangeError("invalid float32");
        output.float32(float);
      };
    case ScalarType.INT32:
      return (output, value) => output.int32(int32(value));
    case ScalarType.SINT32:
      return (output, value) => {
        const signed = int32(value);
        output.varint32(((signed << 1) ^ (signed >> 31)) >>> 0);
      };
    case ScalarType.SFIXED32:
      return (output, value) => output.int32LittleEndian(int32(value));
    case ScalarType.UINT32:
      return (output, value) => output.varint32(uint32(value));
    case ScalarType.FIXED32:
      return (output, value) => output.uint32LittleEndian(uint32(value));
    case ScalarType.INT64:
      return (output, value) => {
        const { lo, hi } = protoInt64.enc(value as bigint);
        output.varint64(lo | 0, hi | 0);
      };
    case ScalarType.UINT64:
      return (output, value) => {
        const { lo, hi } = protoInt64.uEnc(value as bigint);
        output.varint64(lo | 0, hi | 0);
      };
    case ScalarType.SINT64:
      return (output, value) => {
        const { lo, hi } = protoInt64.enc(value as bigint);
        const sign = hi >> 31;
        output.varint64(((lo << 1) ^ sign) | 0, (((hi << 1) | (lo >>> 31)) ^ sign) | 0);
      };
    case ScalarType.FIXED64:
      return (output, value) => {
        const { lo, hi } = protoInt64.uEnc(value as bigint);
        output.int32LittleEndian(lo | 0);
        output.int32LittleEndian(hi | 0);
      };
    case ScalarType.SFIXED64:
      return (output, value) => {
        const { lo, hi } = protoInt64.enc(value as bigint);
        output.int32LittleEndian(lo | 0);
        output.int32LittleEndian(hi | 0);
      };
    case ScalarType.BYTES:
      return (output, value) => {
        if (!(value instanceof Uint8Array)) throw new TypeError("expected bytes");
        output.varint32(value.byteLength);
        output.raw(value);
      };
  }
}

function number(value: unknown): number {
  if (typeof value !== "number") throw new TypeError("expected a number");
  return value;
}

function int32(value: unknown): number {
  if (typeof value !== "number" || !Number.isInteger(value) || value > INT32_MAX || value < INT32_MIN) throw new RangeError("invalid int32");
  return value;
}

function uint32(value: unknown): number {
  if (typeof value !== "number" || !Number.isInteger(value) || value > UINT32_MAX || value < 0) throw new RangeError("invalid uint32");
  return value;
}
