/**
 * compiledCreate against protobuf-es's create, over every message of the gateway's own proto files:
 * seeded random init objects (plain nested objects and real messages mixed, byte arrays as number
 * arrays, null and undefined members, oneof groups with unknown or missing cases) must give equal
 * messages with their properties in the same order.
 */
import { create, ScalarType, type DescField, type DescMessage } from "@bufbuild/protobuf";
import { nestedTypes } from "@bufbuild/protobuf/reflect";
import { describe, expect, it } from "vitest";
import { CompleteResponseSchema, file_modelgate_v1_completion } from "../../../gen/modelgate/v1/completion_pb.js";
import { file_modelgate_v1_content } from "../../../gen/modelgate/v1/content_pb.js";
import { file_modelgate_v1_models } from "../../../gen/modelgate/v1/models_pb.js";
import { file_modelgate_v1_routing } from "../../../gen/modelgate/v1/routing_pb.js";
import { file_modelgate_v1_stream } from "../../../gen/modelgate/v1/stream_pb.js";
import { file_google_rpc_error_details } from "../../../gen/google/rpc/error_details_pb.js";
import { compiledCreate } from "./compiled-create.js";
import { pick, randomMessage, randomScalar, seeded, type Random } from "./test-support/random-messages.js";

const files = [file_modelgate_v1_completion, file_modelgate_v1_content, file_modelgate_v1_models, file_modelgate_v1_routing, file_modelgate_v1_stream, file_google_rpc_error_details];
const schemas = files.flatMap((file) => [...nestedTypes(file)].filter((type): type is DescMessage => type.kind === "message"));

type Init = Record<string, unknown>;

function randomInitValue(random: Random, field: DescField, depth: number): unknown {
  switch (field.fieldKind) {
    case "scalar":
      return randomBytesOr(random, field.scalar, () => randomScalar(random, field.scalar));
    case "enum":
      return pick(random, field.enum.values).number;
    case "message":
      return randomNested(random, field.message, depth);
    case "list":
      return Array.from({ length: Math.floor(random() * 3) }, () =>
        field.listKind === "message" ? randomNested(random, field.message, depth) : field.listKind === "enum" ? field.enum.values[0].number : randomBytesOr(random, field.scalar, () => randomScalar(random, field.scalar)),
      );
    case "map": {
      const entries: Init = {};
      for (let index = Math.floor(random() * 3); index > 0; index--) {
        entries[pick(random, ["a", "b", "1"])] = field.mapKind === "message" ? randomNested(random, field.message, depth) : field.mapKind === "enum" ? 0 : randomBytesOr(random, field.scalar, () => randomScalar(random, field.scalar));
      }
      return entries;
    }
  }
}

/** Bytes sometimes as a plain number array, which create turns into a Uint8Array. */
function randomBytesOr(random: Random, scalar: ScalarType, other: () => unknown): unknown {
  if (scalar !== ScalarType.BYTES) return other();
  return random() < 0.5 ? [1, 2, 255] : new Uint8Array([9, 8]);
}

/** A nested message as a plain init object or as a real message. */
function randomNested(random: Random, schema: DescMessage, depth: number): unknown {
  return random() < 0.6 ? randomInit(random, schema, depth + 1) : randomMessage(random, schema, depth + 1);
}

function randomInit(random: Random, schema: DescMessage, depth = 0): Init {
  const init: Init = {};
  if (depth > 3) return init;
  for (const member of schema.members) {
    const roll = random();
    if (roll < 0.3) continue;
    if (roll < 0.35) {
      init[member.localName] = null;
      continue;
    }
    if (roll < 0.4) {
      init[member.localName] = undefined;
      continue;
    }
    if (member.kind === "oneof") {
      const field = pick(random, member.fields);
      init[member.localName] = pick(random, [
        { case: field.localName, value: randomInitValue(random, field, depth) },
        { case: field.localName, value: randomInitValue(random, field, depth) },
        { case: "notAMember", value: 1 },
        { case: undefined },
        {},
      ]);
      continue;
    }
    init[member.localName] = randomInitValue(random, member, depth);
  }
  return init;
}

/** Every property name, depth first, in the order the objects hold them. */
function keyOrder(value: unknown, path = ""): string[] {
  if (value === null || typeof value !== "object" || value instanceof Uint8Array) return [];
  return Object.keys(value).flatMap((key) => [`${path}/${key}`, ...keyOrder((value as Init)[key], `${path}/${key}`)]);
}

describe.each(schemas.map((schema) => [schema.typeName, schema] as const))("%s", (_name, schema) => {
  it("gives create's message for random init objects, properties in the same order", () => {
    const random = seeded(4);
    for (let index = 0; index < 200; index++) {
      const init = randomInit(random, schema);
      const expected = create(schema, init as never);
      const actual = compiledCreate(schema, init as never);
      expect(actual).toStrictEqual(expected);
      expect(keyOrder(actual)).toEqual(keyOrder(expected));
    }
  });

  it("gives create's zero message, and a message of the schema back as it is", () => {
    expect(compiledCreate(schema)).toStrictEqual(create(schema));
    expect(keyOrder(compiledCreate(schema))).toEqual(keyOrder(create(schema)));
    const message = create(schema);
    expect(compiledCreate(schema, message as never)).toBe(message);
  });
});

it("throws where create throws: a null init object", () => {
  expect(() => create(CompleteResponseSchema, null as never)).toThrow();
  expect(() => compiledCreate(CompleteResponseSchema, null as never)).toThrow();
});
