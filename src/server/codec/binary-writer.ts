/**
 * The protobuf binary encoding of a message, byte for byte what protobuf-es's `toBinary` writes (fields
 * in number order, set fields only, packed lists where the field is packed, unknown fields last),
 * through protobuf-es's own `BinaryWriter`, but compiled once per schema into one function per field
 * instead of walking the schema through reflection wrappers for every message (`npx tsx bench/codec.ts`
 * times both).
 *
 * A value the writer refuses (a bug upstream of it) throws; the caller then lets protobuf-es encode
 * the message, which throws its own error naming the field. Messages that compiled-codec-support.ts
 * refuses are never compiled.
 */
import { ScalarType, type DescField, type DescMessage } from "@bufbuild/protobuf";
import { BinaryWriter, WireType } from "@bufbuild/protobuf/wire";
import { fieldValue, isFieldSet, sortedFields } from "./compiled-codec-support.js";

/** Encodes a message of the compiled schema. */
export type BinaryMessageWriter = (message: object) => Uint8Array<ArrayBuffer>;

type MessageObject = Record<string, unknown>;
type FieldsWriter = (message: MessageObject, writer: BinaryWriter) => void;
type ScalarWriter = (writer: BinaryWriter, value: unknown) => void;

interface UnknownField {
  no: number;
  wireType: WireType;
  data: Uint8Array;
}

const compiled = new WeakMap<DescMessage, FieldsWriter>();

/** The binary writer for `schema` (which compiled-codec-support.ts must accept), compiled on first use. */
export function binaryWriterFor(schema: DescMessage): BinaryMessageWriter {
  const writeFields = fieldsWriter(schema);
  return (message) => {
    const writer = new BinaryWriter();
    writeFields(message as MessageObject, writer);
    return writer.finish();
  };
}

function fieldsWriter(schema: DescMessage): FieldsWriter {
  const known = compiled.get(schema);
  if (known !== undefined) return known;
  const steps: FieldsWriter[] = [];
  const writeFields: FieldsWriter = (message, writer) => {
    for (const step of steps) step(message, writer);
    const unknown = message.$unknown as UnknownField[] | undefined;
    if (unknown !== undefined) for (const { no, wireType, data } of unknown) writer.tag(no, wireType).raw(data);
  };
  // Registered before its fields compile, so a message that holds itself finds its own writer.
  compiled.set(schema, writeFields);
  for (const field of sortedFields(schema)) steps.push(fieldStep(field));
  return writeFields;
}

function fieldStep(field: DescField): FieldsWriter {
  const write = valueWriter(field);
  return (message, writer) => {
    if (isFieldSet(message, field)) write(writer, fieldValue(message, field));
  };
}

/** Writes a set field, tag included. */
function valueWriter(field: DescField): ScalarWriter {
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
        return (writer, value) => {
          for (const item of value as unknown[]) writeItem(writer, item);
        };
      }
      const scalar = field.scalar ?? ScalarType.INT32;
      const writeValue = scalarWriter(scalar);
      if (field.packed) {
        return (writer, value) => {
          writer.tag(number, WireType.LengthDelimited).fork();
          for (const item of value as unknown[]) writeValue(writer, item);
          writer.join();
        };
      }
      const writeItem = tagged(number, scalar, writeValue);
      return (writer, value) => {
        for (const item of value as unknown[]) writeItem(writer, item);
      };
    }
    case "map": {
      const writeKey = tagged(1, field.mapKey, scalarWriter(field.mapKey));
      const writeEntryValue =
        field.mapKind === "message" ? nestedWriter(2, fieldsWriter(field.message)) : tagged(2, field.scalar ?? ScalarType.INT32, scalarWriter(field.scalar ?? ScalarType.INT32));
      return (writer, value) => {
        const entries = value as Record<string, unknown>;
        for (const key of Object.keys(entries)) {
          writer.tag(number, WireType.LengthDelimited).fork();
          writeKey(writer, key);
          writeEntryValue(writer, entries[key]);
          writer.join();
        }
      };
    }
  }
}

function nestedWriter(number: number, writeFields: FieldsWriter): ScalarWriter {
  return (writer, value) => {
    writer.tag(number, WireType.LengthDelimited).fork();
    writeFields(value as MessageObject, writer);
    writer.join();
  };
}

function tagged(number: number, scalar: ScalarType, writeValue: ScalarWriter): ScalarWriter {
  const wireType = wireTypeOf(scalar);
  return (writer, value) => {
    writer.tag(number, wireType);
    writeValue(writer, value);
  };
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

function scalarWriter(scalar: ScalarType): ScalarWriter {
  switch (scalar) {
    case ScalarType.STRING:
      return (writer, value) => writer.string(value as string);
    case ScalarType.BOOL:
      return (writer, value) => writer.bool(value as boolean);
    case ScalarType.DOUBLE:
      return (writer, value) => writer.double(value as number);
    case ScalarType.FLOAT:
      return (writer, value) => writer.float(value as number);
    case ScalarType.INT32:
      return (writer, value) => writer.int32(value as number);
    case ScalarType.INT64:
      return (writer, value) => writer.int64(value as bigint);
    case ScalarType.UINT64:
      return (writer, value) => writer.uint64(value as bigint);
    case ScalarType.FIXED64:
      return (writer, value) => writer.fixed64(value as bigint);
    case ScalarType.BYTES:
      return (writer, value) => writer.bytes(value as Uint8Array);
    case ScalarType.FIXED32:
      return (writer, value) => writer.fixed32(value as number);
    case ScalarType.SFIXED32:
      return (writer, value) => writer.sfixed32(value as number);
    case ScalarType.SFIXED64:
      return (writer, value) => writer.sfixed64(value as bigint);
    case ScalarType.SINT64:
      return (writer, value) => writer.sint64(value as bigint);
    case ScalarType.UINT32:
      return (writer, value) => writer.uint32(value as number);
    case ScalarType.SINT32:
      return (writer, value) => writer.sint32(value as number);
  }
}
