/**
 * Protobuf JSON for a message, as protobuf-es's `toJson` with its default options writes it (field JSON
 * names, set fields only, enum names, 64-bit integers as strings, bytes as base64), but compiled once
 * per schema into one function per field instead of walking the schema through protobuf-es's reflection
 * wrappers for every message (`npx tsx bench/codec.ts` times both).
 *
 * A value of the wrong type (a bug upstream of the writer) throws; the caller then lets protobuf-es
 * encode the message, which throws its own error naming the field. Messages that
 * compiled-codec-support.ts refuses are never compiled.
 */
import { ScalarType, type DescEnum, type DescField, type DescMessage } from "@bufbuild/protobuf";
import { base64Encode } from "@bufbuild/protobuf/wire";
import { fieldValue, isFieldSet, sortedFields } from "./compiled-codec-support.js";

export type JsonObject = Record<string, unknown>;
/** Turns a message of the compiled schema into the JSON value `toJson` gives for it. */
export type JsonWriter = (message: object) => JsonObject;

type MessageObject = Record<string, unknown>;
type FieldStep = (message: MessageObject, json: JsonObject) => void;
type ValueWriter = (value: unknown) => unknown;

const compiled = new WeakMap<DescMessage, JsonWriter>();

/** The JSON writer for `schema` (which compiled-codec-support.ts must accept), compiled on first use. */
export function jsonWriterFor(schema: DescMessage): JsonWriter {
  const known = compiled.get(schema);
  if (known !== undefined) return known;
  const steps: FieldStep[] = [];
  const writer: JsonWriter = (message) => {
    const json: JsonObject = {};
    for (const step of steps) step(message as MessageObject, json);
    return json;
  };
  // Registered before its fields compile, so a message that holds itself finds its own writer.
  compiled.set(schema, writer);
  for (const field of sortedFields(schema)) steps.push(fieldStep(field));
  return writer;
}

function fieldStep(field: DescField): FieldStep {
  const name = field.jsonName;
  const write = valueWriter(field);
  return (message, json) => {
    if (isFieldSet(message, field)) json[name] = write(fieldValue(message, field));
  };
}

function valueWriter(field: DescField): ValueWriter {
  switch (field.fieldKind) {
    case "scalar":
      return scalarWriter(field.scalar);
    case "enum":
      return enumWriter(field.enum);
    case "message": {
      const writeMessage = jsonWriterFor(field.message);
      return (value) => writeMessage(value as object);
    }
    case "list": {
      const writeItem = field.listKind === "scalar" ? scalarWriter(field.scalar) : field.listKind === "enum" ? enumWriter(field.enum) : messageWriter(field.message);
      return (value) => (value as unknown[]).map((item) => writeItem(item));
    }
    case "map": {
      const writeEntry = field.mapKind === "scalar" ? scalarWriter(field.scalar) : field.mapKind === "enum" ? enumWriter(field.enum) : messageWriter(field.message);
      return (value) => {
        const entries = value as Record<string, unknown>;
        const json: JsonObject = {};
        for (const key of Object.keys(entries)) json[key] = writeEntry(entries[key]);
        return json;
      };
    }
  }
}

function messageWriter(schema: DescMessage): ValueWriter {
  const writeMessage = jsonWriterFor(schema);
  return (value) => writeMessage(value as object);
}

/** An enum value's name, or its number when the schema does not know it (as protobuf-es does). */
function enumWriter(schema: DescEnum): ValueWriter {
  return (value) => {
    if (typeof value !== "number") throw new TypeError(`expected an enum number for ${schema.typeName}`);
    return schema.value[value]?.name ?? value;
  };
}

function scalarWriter(scalar: ScalarType): ValueWriter {
  switch (scalar) {
    case ScalarType.INT32:
    case ScalarType.SFIXED32:
    case ScalarType.SINT32:
    case ScalarType.FIXED32:
    case ScalarType.UINT32:
      return (value) => expect(value, "number");
    case ScalarType.FLOAT:
    case ScalarType.DOUBLE:
      return (value) => {
        const number = expect(value, "number") as number;
        if (Number.isNaN(number)) return "NaN";
        if (number === Number.POSITIVE_INFINITY) return "Infinity";
        if (number === Number.NEGATIVE_INFINITY) return "-Infinity";
        return number;
      };
    case ScalarType.STRING:
      return (value) => expect(value, "string");
    case ScalarType.BOOL:
      return (value) => expect(value, "boolean");
    case ScalarType.UINT64:
    case ScalarType.FIXED64:
    case ScalarType.INT64:
    case ScalarType.SFIXED64:
    case ScalarType.SINT64:
      return (value) => {
        if (typeof value === "bigint" || typeof value === "string" || (typeof value === "number" && Number.isInteger(value))) return value.toString();
        throw new TypeError("expected a 64-bit integer");
      };
    case ScalarType.BYTES:
      return (value) => {
        if (value instanceof Uint8Array) return base64Encode(value);
        throw new TypeError("expected bytes");
      };
  }
}

function expect(value: unknown, type: "number" | "string" | "boolean"): unknown {
  if (typeof value !== type) throw new TypeError(`expected a ${type}`);
  return value;
}
