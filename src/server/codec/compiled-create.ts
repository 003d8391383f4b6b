/**
 * protobuf-es's `create(schema, init)`, compiled once per schema: the same message (the same properties,
 * in the same order, nested init objects turned into messages, byte arrays into Uint8Arrays), without
 * walking the schema's members through their descriptors on every call. The converters build every
 * answer and every stream event with it; timed inside the gateway one call at a time, building a
 * CompleteResponse with `create` took a median of 16 µs (docs/benchmarks.md, fifth pass).
 *
 * Only for proto3 messages that compiled-codec-support.ts accepts (no well-known types, whose init
 * forms `create` unwraps); any other schema goes to `create` itself.
 */
import { create, isMessage, ScalarType, type DescField, type DescMessage, type DescOneof, type MessageInitShape, type MessageShape } from "@bufbuild/protobuf";
import { scalarZeroValue } from "@bufbuild/protobuf/reflect";
import { supportsCompiledCodec } from "./compiled-codec-support.js";

/** `google.protobuf.Edition.EDITION_PROTO3`: the files whose messages never need a prototype chain. */
const EDITION_PROTO3 = 999;
/** `FeatureSet_FieldPresence.IMPLICIT`. */
const IMPLICIT = 2;

type MessageObject = Record<string, unknown>;
type Creator = (init: MessageObject | undefined) => MessageObject;
/** Copies one member from the init object to the message, converted as `create` converts it. */
type MemberStep = (init: MessageObject, message: MessageObject) => void;
type Convert = (value: unknown) => unknown;

const compiled = new WeakMap<DescMessage, Creator>();

/** `create(schema, init)`, through the compiled creator when the schema allows one. */
export function compiledCreate<Desc extends DescMessage>(schema: Desc, init?: MessageInitShape<Desc>): MessageShape<Desc> {
  return creatorFor(schema)(init as MessageObject | undefined) as MessageShape<Desc>;
}

function creatorFor(schema: DescMessage): Creator {
  const known = compiled.get(schema);
  if (known !== undefined) return known;
  if (!supportsCompiledCodec(schema) || schema.file.edition !== EDITION_PROTO3) {
    const standard: Creator = (init) => create(schema, init as never) as unknown as MessageObject;
    compiled.set(schema, standard);
    return standard;
  }
  const typeName = schema.typeName;
  const zeros: { name: string; zero: () => unknown }[] = [];
  const steps: MemberStep[] = [];
  const creator: Creator = (init) => {
    if (init !== undefined && isMessage(init, schema)) return init;
    const message: MessageObject = { $typeName: typeName };
    for (const { name, zero } of zeros) message[name] = zero();
    // `create` reads an init object only when one is given; null throws there, and here too.
    if (init !== undefined) for (const step of steps) step(init, message);
    return message;
  };
  // Registered before its members compile, so a message that holds itself finds its own creator.
  compiled.set(schema, creator);
  for (const member of schema.members) {
    if (member.kind === "oneof") {
      zeros.push({ name: member.localName, zero: () => ({ case: undefined }) });
      steps.push(oneofStep(member));
      continue;
    }
    // proto3: every field is implicit except messages and `optional` ones, which stay absent.
    if (member.fieldKind !== "message" && member.presence === IMPLICIT) zeros.push({ name: member.localName, zero: zeroOf(member) });
    steps.push(fieldStep(member));
  }
  return creator;
}

function zeroOf(field: DescField): () => unknown {
  switch (field.fieldKind) {
    case "list":
      return () => [];
    case "map":
      return () => ({});
    case "enum": {
      const first = field.enum.values[0].number;
      return () => first;
    }
    case "scalar": {
      // Bytes get a new array each time; every other zero value is immutable.
      if (field.scalar === ScalarType.BYTES) return () => new Uint8Array(0);
      const zero = scalarZeroValue(field.scalar, field.longAsString);
      return () => zero;
    }
    case "message":
      throw new Error("a message field has no zero value");
  }
}

function fieldStep(field: DescField): MemberStep {
  const name = field.localName;
  const convert = converter(field);
  return (init, message) => {
    const value = init[name];
    // `create` ignores undefined and null.
    if (value === undefined || value === null) return;
    message[name] = convert(value);
  };
}

function oneofStep(oneof: DescOneof): MemberStep {
  const name = oneof.localName;
  const members = new Map(oneof.fields.map((field) => [field.localName, { field, convert: converter(field) }]));
  return (init, message) => {
    const group = init[name] as { case?: unknown; value?: unknown } | undefined | null;
    if (group === undefined || group === null) return;
    const selected = group.case;
    if (selected === undefined) return;
    const member = members.get(selected as string);
    if (member === undefined) return;
    message[name] = { case: member.field.localName, value: member.convert(group.value) };
  };
}

/** What `create` does to an init value of the field before setting it. */
function converter(field: DescField): Convert {
  switch (field.fieldKind) {
    case "message":
      return messageConverter(field.message);
    case "scalar":
      return field.scalar === ScalarType.BYTES ? toBytes : identity;
    case "enum":
      return identity;
    case "list": {
      const item = field.listKind === "message" ? messageConverter(field.message) : field.scalar === ScalarType.BYTES ? toBytes : undefined;
      if (item === undefined) return identity;
      return (value) => (Array.isArray(value) ? value.map(item) : value);
    }
    case "map": {
      const entry = field.mapKind === "message" ? messageConverter(field.message) : field.scalar === ScalarType.BYTES ? toBytes : undefined;
      if (entry === undefined) return identity;
      return (value) => {
        if (!isObject(value)) return value;
        const converted: MessageObject = {};
        for (const [key, item] of Object.entries(value)) converted[key] = entry(item);
        return converted;
      };
    }
  }
}

/** A plain init object becomes a message; a message (of the field's type) and anything else stay. */
function messageConverter(schema: DescMessage): Convert {
  const creator = creatorFor(schema);
  return (value) => (isObject(value) && !isMessage(value, schema) ? creator(value) : value);
}

function isObject(value: unknown): value is MessageObject {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

function identity(value: unknown): unknown {
  return value;
}

/** `create` turns an array of numbers into a Uint8Array. */
function toBytes(value: unknown): unknown {
  return Array.isArray(value) ? new Uint8Array(value as number[]) : value;
}
