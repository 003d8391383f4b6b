/**
 * A message from parsed protobuf JSON, for the JSON that clients send every day, compiled once per
 * schema instead of walking it through protobuf-es's reflection for every request. It gives exactly the
 * message protobuf-es's `fromJson` gives, or declines (returns undefined), and then the caller runs
 * `fromJson` itself, which accepts or refuses the input with its own error.
 *
 * It reads: strings (well-formed UTF-16, as protobuf-es checks them), booleans, 32-bit integers and
 * doubles given as JSON numbers, enums by name or number, messages, lists, oneofs and string-keyed
 * maps, under a field's JSON name or its proto name. It declines everything rarer: unknown keys
 * (which connect's `fromJson` options ignore), `null`, a field given twice (by both its names) or two
 * members of one oneof, 64-bit integers, floats, bytes, numbers written as strings, and nesting deeper
 * than protobuf-es's recursion limit.
 */
import { create, ScalarType, type DescEnum, type DescField, type DescMessage, type Message } from "@bufbuild/protobuf";
import { getTextEncoding } from "@bufbuild/protobuf/wire";

/** The message `fromJson` would give for `json`, or undefined to let `fromJson` decide. */
export type JsonReader = (json: unknown) => Message | undefined;

type MessageObject = Record<string, unknown>;
type JsonObject = Record<string, unknown>;
/** Reads one JSON value; returns `decline` when it does not. */
type ValueReader = (json: unknown, depth: number) => unknown;
type MessageReader = (json: unknown, depth: number) => MessageObject | undefined;

interface KeyEntry {
  /** Reads the value into the message; false to decline. */
  read(json: JsonObject, key: string, message: MessageObject, depth: number): boolean;
}

const decline = Symbol("decline");
/** protobuf-es's default `recursionLimit`. */
const RECURSION_LIMIT = 100;
const INT32_MIN = -0x80000000;
const INT32_MAX = 0x7fffffff;
const UINT32_MAX = 0xffffffff;

const compiled = new WeakMap<DescMessage, MessageReader>();

/** The JSON reader for `schema` (which compiled-codec-support.ts must accept), compiled on first use. */
export function jsonReaderFor(schema: DescMessage): JsonReader {
  const read = messageReader(schema);
  return (json) => read(json, 1) as Message | undefined;
}

function messageReader(schema: DescMessage): MessageReader {
  const known = compiled.get(schema);
  if (known !== undefined) return known;
  const keys = new Map<string, KeyEntry>();
  const reader: MessageReader = (json, depth) => {
    if (depth > RECURSION_LIMIT || json === null || typeof json !== "object" || Array.isArray(json)) return undefined;
    const message = create(schema) as unknown as MessageObject;
    const object = json as JsonObject;
    for (const key of Object.keys(object)) {
      const entry = keys.get(key);
      if (entry === undefined || !entry.read(object, key, message, depth)) return undefined;
    }
    return message;
  };
  // Registered before its fields compile, so a message that holds itself finds its own reader.
  compiled.set(schema, reader);
  for (const field of schema.fields) {
    const entry = keyEntry(field);
    keys.set(field.jsonName, entry);
    if (field.name !== field.jsonName) keys.set(field.name, entry);
  }
  return reader;
}

function keyEntry(field: DescField): KeyEntry {
  const readValue = valueReader(field);
  const name = field.localName;
  const otherKey = field.name === field.jsonName ? undefined : field.name;
  const oneof = field.oneof?.localName;
  return {
    read(json, key, message, depth) {
      // Given under both names: protobuf-es refuses it ("set multiple times").
      if (otherKey !== undefined && key !== otherKey && Object.hasOwn(json, otherKey)) return false;
      const value = readValue(json[key], depth);
      if (value === decline) return false;
      if (oneof === undefined) {
        message[name] = value;
        return true;
      }
      // A second member of the group: protobuf-es refuses it.
      if ((message[oneof] as { case: unknown }).case !== undefined) return false;
      message[oneof] = { case: name, value };
      return true;
    },
  };
}

function valueReader(field: DescField): ValueReader {
  switch (field.fieldKind) {
    case "scalar":
      return scalarReader(field.scalar);
    case "enum":
      return enumReader(field.enum);
    case "message":
      return nestedReader(field.message);
    case "list": {
      const readItem = field.listKind === "scalar" ? scalarReader(field.scalar) : field.listKind === "enum" ? enumReader(field.enum) : nestedReader(field.message);
      return (json, depth) => {
        if (!Array.isArray(json)) return decline;
        const items: unknown[] = [];
        for (const item of json) {
          const value = readItem(item, depth);
          if (value === decline) return decline;
          items.push(value);
        }
        return items;
      };
    }
    case "map": {
      const readEntry = field.mapKind === "scalar" ? scalarReader(field.scalar) : field.mapKind === "enum" ? enumReader(field.enum) : nestedReader(field.message);
      return (json, depth) => {
        if (json === null || typeof json !== "object" || Array.isArray(json)) return decline;
        const entries: Record<string, unknown> = {};
        for (const [key, item] of Object.entries(json)) {
          const value = readEntry(item, depth);
          if (value === decline) return decline;
          entries[key] = value;
        }
        return entries;
      };
    }
  }
}

function nestedReader(schema: DescMessage): ValueReader {
  const read = messageReader(schema);
  return (json, depth) => read(json, depth + 1) ?? decline;
}

function enumReader(schema: DescEnum): ValueReader {
  const byName = new Map(schema.values.map((value) => [value.name, value.number]));
  return (json) => {
    if (typeof json === "string") return byName.get(json) ?? decline;
    // Open enums keep numbers they do not know; closed ones are left to protobuf-es.
    if (schema.open && typeof json === "number" && Number.isInteger(json) && json >= INT32_MIN && json <= INT32_MAX) return json;
    return decline;
  };
}

function scalarReader(scalar: ScalarType): ValueReader {
  switch (scalar) {
    case ScalarType.STRING:
      return (json) => (typeof json === "string" && getTextEncoding().checkUtf8(json) ? json : decline);
    case ScalarType.BOOL:
      return (json) => (typeof json === "boolean" ? json : decline);
    case ScalarType.DOUBLE:
      // JSON.parse gives only finite numbers.
      return (json) => (typeof json === "number" ? json : decline);
    case ScalarType.INT32:
    case ScalarType.SINT32:
    case ScalarType.SFIXED32:
      return (json) => (typeof json === "number" && Number.isInteger(json) && json >= INT32_MIN && json <= INT32_MAX ? json : decline);
    case ScalarType.UINT32:
    case ScalarType.FIXED32:
      return (json) => (typeof json === "number" && Number.isInteger(json) && json >= 0 && json <= UINT32_MAX ? json : decline);
    default:
      return () => decline;
  }
}
