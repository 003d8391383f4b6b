/**
 * The compiled codecs against protobuf-es itself, over every message of the project's generated files:
 * seeded random messages (every field kind, zero values, -0, NaN, 64-bit extremes, unknown enum
 * numbers, non-ASCII and escaped text, unknown fields) must serialise to the same JSON text and the same
 * bytes; and for JSON input, seeded variations of real JSON (proto names, unknown keys, nulls, numbers as
 * strings, wrong types, duplicate and conflicting keys), the reader must give exactly `fromJson`'s
 * message or decline, and must decline whenever `fromJson` refuses.
 */
import { toBinary, toJson, toJsonString, fromJson, type DescMessage, type Message } from "@bufbuild/protobuf";
import { nestedTypes } from "@bufbuild/protobuf/reflect";
import { describe, expect, it } from "vitest";
import { file_google_rpc_error_details } from "../../../gen/google/rpc/error_details_pb.js";
import { file_grpc_reflection_v1_reflection } from "../../../gen/grpc/reflection/v1/reflection_pb.js";
import { file_health_v1_health } from "../../../gen/health/v1/health_pb.js";
import { CompleteRequestSchema } from "../../../gen/modelgate/v1/completion_pb.js";
import { file_modelgate_v1_completion } from "../../../gen/modelgate/v1/completion_pb.js";
import { file_modelgate_v1_content } from "../../../gen/modelgate/v1/content_pb.js";
import { file_modelgate_v1_errors } from "../../../gen/modelgate/v1/errors_pb.js";
import { file_modelgate_v1_models } from "../../../gen/modelgate/v1/models_pb.js";
import { file_modelgate_v1_routing } from "../../../gen/modelgate/v1/routing_pb.js";
import { file_modelgate_v1_stream } from "../../../gen/modelgate/v1/stream_pb.js";
import { installFastTextEncoding } from "../fast-text-encoding.js";
import { binaryWriterFor } from "./binary-writer.js";
import { supportsCompiledCodec } from "./compiled-codec-support.js";
import { jsonReaderFor } from "./json-reader.js";
import { jsonWriterFor } from "./json-writer.js";
import { pick, randomMessage, seeded, type Random } from "./test-support/random-messages.js";

// The gateway runs with it installed (src/main.ts); protobuf-es's checks then go through it too.
installFastTextEncoding();

const files = [
  file_modelgate_v1_completion,
  file_modelgate_v1_content,
  file_modelgate_v1_errors,
  file_modelgate_v1_models,
  file_modelgate_v1_routing,
  file_modelgate_v1_stream,
  file_health_v1_health,
  file_grpc_reflection_v1_reflection,
  file_google_rpc_error_details,
];
const schemas = files.flatMap((file) => [...nestedTypes(file)].filter((type): type is DescMessage => type.kind === "message"));
const supported = schemas.filter((schema) => supportsCompiledCodec(schema));
const messagesPerSchema = 150;
/** How many generated JSON inputs the reader took (rather than declined), by message. */
const acceptedBySchema = new Map<string, number>();

describe("which messages are compiled", () => {
  it("covers the gateway's own messages and refuses the well-known types' holders", () => {
    const names = (list: DescMessage[]) => list.map((schema) => schema.typeName);
    expect(names(supported)).toEqual(expect.arrayContaining(["modelgate.v1.CompleteRequest", "modelgate.v1.CompleteResponse", "modelgate.v1.StreamCompleteResponse", "grpc.health.v1.HealthCheckResponse"]));
    // google.rpc.RetryInfo holds a google.protobuf.Duration, whose JSON is a string like "1.5s".
    expect(names(schemas.filter((schema) => !supportsCompiledCodec(schema)))).toContain("google.rpc.RetryInfo");
  });
});

describe.each(supported.map((schema) => [schema.typeName, schema] as const))("%s", (_name, schema) => {
  it("serialises to the JSON text protobuf-es writes", () => {
    const random = seeded(1);
    const write = jsonWriterFor(schema);
    for (let index = 0; index < messagesPerSchema; index++) {
      const message = randomMessage(random, schema);
      expect(JSON.stringify(write(message))).toBe(toJsonString(schema, message));
    }
  });

  it("serialises to the bytes protobuf-es writes", () => {
    const random = seeded(2);
    const write = binaryWriterFor(schema);
    for (let index = 0; index < messagesPerSchema; index++) {
      const message = randomMessage(random, schema);
      expect(Buffer.from(write(message)).toString("hex")).toBe(Buffer.from(toBinary(schema, message)).toString("hex"));
    }
  });

  it("reads JSON to exactly fromJson's message, or declines, and declines whatever fromJson refuses", () => {
    const random = seeded(3);
    const read = jsonReaderFor(schema);
    let accepted = 0;
    for (let index = 0; index < messagesPerSchema * 2; index++) {
      const json = index % 2 === 0 ? toJson(schema, randomMessage(random, schema)) : varied(random, schema, toJson(schema, randomMessage(random, schema)), 0);
      const expected = tryFromJson(schema, json);
      const actual = read(json);
      if (actual === undefined) continue;
      accepted++;
      expect(expected, `fromJson refused what the reader accepted: ${JSON.stringify(json)}`).not.toBeInstanceOf(Error);
      expect(actual).toStrictEqual(expected);
    }
    acceptedBySchema.set(schema.typeName, accepted);
  });
});

describe("the reader on the requests clients send", () => {
  it("accepted generated JSON for every message a Complete request holds (not a reader that declines everything)", () => {
    for (const name of ["modelgate.v1.CompleteRequest", "modelgate.v1.StreamCompleteRequest", "modelgate.v1.Message", "modelgate.v1.ContentPart", "modelgate.v1.Tool", "modelgate.v1.RoutingHints", "grpc.health.v1.HealthCheckRequest"]) {
      expect(acceptedBySchema.get(name), name).toBeGreaterThan(10);
    }
  });

  it("accepts a typical Complete request without falling back", () => {
    const json = {
      model: "fast",
      messages: [
        { role: "ROLE_SYSTEM", parts: [{ text: "Be brief." }] },
        { role: "ROLE_USER", parts: [{ text: "What is 2+2?" }, { image: { url: "https://example.com/a.png", mediaType: "image/png" } }] },
        { role: "ROLE_ASSISTANT", toolCalls: [{ id: "c1", name: "add", argumentsJson: '{"a":2}' }] },
        { role: "ROLE_TOOL", toolCallId: "c1", tool_name: "add", parts: [{ text: "4" }] },
      ],
      sampling: { temperature: 0.2, topP: 1, maxOutputTokens: 64, stopSequences: ["\n\n"] },
      tools: [{ name: "add", description: "adds", parametersJsonSchema: '{"type":"object"}' }],
      toolChoice: { mode: "TOOL_CHOICE_MODE_AUTO" },
      requestId: "req-1",
      routing: { strategy: "ROUTING_STRATEGY_COST", latencySloMs: 800, tags: ["a"], metadata: { team: "search" } },
      fallback: { maxAttempts: 3, continueOnInterruption: true },
    };
    const read = jsonReaderFor(CompleteRequestSchema);
    const message = read(json);
    expect(message).toBeDefined();
    expect(message).toStrictEqual(tryFromJson(CompleteRequestSchema, json));
  });

  it("declines what it leaves to protobuf-es: 64-bit integers, unknown keys, nulls, both names of a field", () => {
    const read = jsonReaderFor(CompleteRequestSchema);
    expect(read({ model: "m", sampling: { seed: "7" } })).toBeUndefined();
    expect(read({ model: "m", unknownKey: 1 })).toBeUndefined();
    expect(read({ model: null })).toBeUndefined();
    expect(read({ requestId: "a", request_id: "b" })).toBeUndefined();
    expect(read({ messages: [{ parts: [{ text: "a", image: { url: "u" } }] }] })).toBeUndefined();
    expect(read({ model: "\ud800" })).toBeUndefined();
    expect(read([])).toBeUndefined();
  });
});

function tryFromJson(schema: DescMessage, json: unknown): Message | Error {
  try {
    return fromJson(schema, json as never, { ignoreUnknownFields: true });
  } catch (error) {
    return error as Error;
  }
}

/** JSON a client might send instead: other key spellings, extra or missing keys, odd values. */
function varied(random: Random, schema: DescMessage, json: unknown, depth: number): unknown {
  if (json === null || typeof json !== "object" || Array.isArray(json)) return json;
  const object = { ...(json as Record<string, unknown>) };
  for (const field of schema.fields) {
    const key = field.jsonName;
    const roll = random();
    if (!(key in object)) {
      if (roll < 0.05) object[key] = null;
      continue;
    }
    const value = object[key];
    if (roll < 0.1) {
      delete object[key];
      object[field.name] = value;
    } else if (roll < 0.13) {
      object[field.name] = value;
    } else if (roll < 0.16) {
      object[key] = null;
    } else if (roll < 0.2) {
      object[key] = typeof value === "number" ? String(value) : typeof value === "string" ? 12 : typeof value === "boolean" ? "true" : [value];
    } else if (roll < 0.23 && typeof value === "number") {
      object[key] = value + 0.5;
    } else if (roll < 0.26 && field.fieldKind === "enum") {
      object[key] = pick(random, ["NOT_A_VALUE", 1, -1, 2 ** 31]);
    } else if (field.fieldKind === "message") {
      object[key] = varied(random, field.message, value, depth + 1);
    } else if (field.fieldKind === "list" && field.listKind === "message" && Array.isArray(value)) {
      object[key] = value.map((item) => (random() < 0.1 ? null : varied(random, field.message, item, depth + 1)));
    }
  }
  if (random() < 0.05) object.notAField = true;
  if (random() < 0.03) object["\ud800lone"] = 1;
  return object;
}
