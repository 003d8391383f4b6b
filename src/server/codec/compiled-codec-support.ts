/**
 * Which messages the compiled codecs (json-writer.ts, json-reader.ts, binary-writer.ts) may handle, and
 * the two facts about a field that all three read the way protobuf-es does: the order fields are
 * written in, and whether a field is set.
 *
 * The codecs cover plain messages: scalars, enums, messages, lists, oneofs and string-keyed maps. A
 * message is refused, and keeps protobuf-es's own codec, when it or any message it holds is a
 * well-known type (`google.protobuf.*`, whose JSON forms are special) or a NullValue enum, has a proto2 `required` field,
 * a group (delimited encoding), or a map keyed by anything but a string.
 */
import { ScalarType, type DescField, type DescMessage } from "@bufbuild/protobuf";
import { isScalarZeroValue } from "@bufbuild/protobuf/reflect";

/** protobuf-es's `FeatureSet_FieldPresence.IMPLICIT` and `.LEGACY_REQUIRED`. */
const IMPLICIT = 2;
const LEGACY_REQUIRED = 3;

/** True when the compiled codecs can handle `schema` and every message reachable from it. */
export function supportsCompiledCodec(schema: DescMessage, visiting = new Set<DescMessage>()): boolean {
  if (visiting.has(schema)) return true;
  visiting.add(schema);
  if (schema.typeName.startsWith("google.protobuf.")) return false;
  for (const field of schema.fields) {
    if (field.presence === LEGACY_REQUIRED) return false;
    if ((field.fieldKind === "message" || (field.fieldKind === "list" && field.listKind === "message")) && field.delimitedEncoding) return false;
    if (field.fieldKind === "map" && field.mapKey !== ScalarType.STRING) return false;
    // NullValue's JSON form is `null`; protobuf-es special-cases it.
    if (field.enum?.typeName === "google.protobuf.NullValue") return false;
    // The message a field holds, alone, in a list or as a map value; undefined for scalars and enums.
    if (field.message !== undefined && !supportsCompiledCodec(field.message, visiting)) return false;
  }
  return true;
}

/** The fields in field-number order, as protobuf-es writes them (`ReflectMessage.sortedFields`). */
export function sortedFields(schema: DescMessage): DescField[] {
  return schema.fields.concat().sort((a, b) => a.number - b.number);
}

type MessageObject = Record<string, unknown>;

/**
 * protobuf-es's `unsafeIsSet`: a oneof member when its case is selected; a field with explicit
 * presence when it is an own property that is not undefined; otherwise a non-empty list or map, or a
 * scalar or enum that is not its zero value.
 */
export function isFieldSet(message: MessageObject, field: DescField): boolean {
  const name = field.localName;
  if (field.oneof !== undefined) return (message[field.oneof.localName] as { case: unknown }).case === name;
  if (field.presence !== IMPLICIT) return message[name] !== undefined && Object.hasOwn(message, name);
  switch (field.fieldKind) {
    case "list":
      return (message[name] as unknown[]).length > 0;
    case "map":
      return Object.keys(message[name] as object).length > 0;
    case "scalar":
      return !isScalarZeroValue(field.scalar, message[name]);
    case "enum":
      return message[name] !== field.enum.values[0].number;
    case "message":
      // protobuf-es throws "message field with implicit presence"; descriptors never make one.
      return message[name] !== undefined;
  }
}

/** A field's value: a oneof member's from its group, any other from its own property. */
export function fieldValue(message: MessageObject, field: DescField): unknown {
  if (field.oneof !== undefined) return (message[field.oneof.localName] as { value: unknown }).value;
  return message[field.localName];
}
