/**
 * Seeded random protobuf-es messages of any schema, for the tests that compare the compiled codecs with
 * protobuf-es: every field kind, zero values and extremes, unknown enum numbers, texts around the
 * codecs' length boundaries, and now and then an unknown field.
 */
import { create, ScalarType, type DescField, type DescMessage, type Message } from "@bufbuild/protobuf";
import { WireType } from "@bufbuild/protobuf/wire";
import { createSeededRandom } from "../../../resilience/random.js";

/** The same messages on every run: src/resilience/random.ts's seeded generator. */
export const seeded = createSeededRandom;

export type Random = () => number;
export const pick = <T,>(random: Random, items: readonly T[]): T => items[Math.floor(random() * items.length)];

const texts = [
  ...["", "a", "hello world", "naïve café", "日本語のテキスト", "emoji 🚀🔥", 'quote " and \\ backslash', "line\nbreak\ttab", "\u0000nul", "</script>", "\u2028\u2029"],
  // Lone surrogates: U+FFFD in UTF-8, escaped in JSON, refused by the reader.
  ...["\ud800", "a\udc00b"],
  // Around the binary sink's short-string limit (43 UTF-16 units) and the 128-byte length boundary,
  // which also makes the messages holding them long enough to move when their length is written.
  ...["x".repeat(42), "x".repeat(43), "x".repeat(200), "ü".repeat(42), "🚀".repeat(21), "é".repeat(70), "z".repeat(20_000)],
];

export function randomScalar(random: Random, scalar: ScalarType): unknown {
  switch (scalar) {
    case ScalarType.STRING:
      return pick(random, texts);
    case ScalarType.BOOL:
      return random() < 0.5;
    case ScalarType.DOUBLE:
      return pick(random, [0, -0, 1.5, -2.25, 1e-300, 1.7976931348623157e308, Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, 0.1 + 0.2]);
    case ScalarType.FLOAT:
      return pick(random, [0, -0, 1.5, -2.25, 3.4028234663852886e38]);
    case ScalarType.INT32:
    case ScalarType.SINT32:
    case ScalarType.SFIXED32:
      return pick(random, [0, 1, -1, 2147483647, -2147483648, 300]);
    case ScalarType.UINT32:
    case ScalarType.FIXED32:
      return pick(random, [0, 1, 127, 128, 4294967295, 300]);
    case ScalarType.INT64:
    case ScalarType.SINT64:
    case ScalarType.SFIXED64:
      return pick(random, [0n, 1n, -1n, 9223372036854775807n, -9223372036854775808n, 42n, 2n ** 32n, 2n ** 35n + 5n, 2n ** 49n, -(2n ** 35n), 1234567890123n]);
    case ScalarType.UINT64:
    case ScalarType.FIXED64:
      return pick(random, [0n, 1n, 18446744073709551615n, 42n, 2n ** 32n, 2n ** 35n + 5n, 2n ** 63n, 2n ** 56n - 1n]);
    case ScalarType.BYTES:
      return pick(random, [new Uint8Array(0), new Uint8Array([0, 255, 1]), new Uint8Array([104, 105, 33, 63, 62])]);
  }
}

function randomEnum(random: Random, field: Extract<DescField, { enum: object }>): number {
  const values = field.enum!.values.map((value) => value.number);
  // Sometimes a number the enum does not know: the writers must keep it as protobuf-es does.
  return random() < 0.1 ? 99 : pick(random, values);
}

function randomValue(random: Random, field: DescField, depth: number): unknown {
  switch (field.fieldKind) {
    case "scalar":
      return randomScalar(random, field.scalar);
    case "enum":
      return randomEnum(random, field);
    case "message":
      return randomMessage(random, field.message, depth + 1);
    case "list": {
      const count = Math.floor(random() * 4);
      return Array.from({ length: count }, () =>
        field.listKind === "scalar" ? randomScalar(random, field.scalar) : field.listKind === "enum" ? randomEnum(random, field) : randomMessage(random, field.message, depth + 1),
      );
    }
    case "map": {
      const entries: Record<string, unknown> = {};
      for (let index = Math.floor(random() * 3); index > 0; index--) {
        const key = pick(random, ["k", "other key", "ключ", "1", "10", "2"]);
        entries[key] = field.mapKind === "scalar" ? randomScalar(random, field.scalar) : field.mapKind === "enum" ? randomEnum(random, field) : randomMessage(random, field.message, depth + 1);
      }
      return entries;
    }
  }
}

/** A message built the way the gateway builds them: `create`, then fields set on it. */
export function randomMessage(random: Random, schema: DescMessage, depth = 0): Message {
  const message = create(schema) as unknown as Record<string, unknown>;
  if (depth > 3) return message as unknown as Message;
  for (const member of schema.members) {
    if (random() < 0.35) continue;
    if (member.kind === "oneof") {
      const field = pick(random, member.fields);
      message[member.localName] = { case: field.localName, value: randomValue(random, field, depth) };
    } else {
      message[member.localName] = randomValue(random, member, depth);
    }
  }
  if (random() < 0.1) message.$unknown = [{ no: 999, wireType: WireType.Varint, data: new Uint8Array([7]) }];
  return message as unknown as Message;
}
