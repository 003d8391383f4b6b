import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { configureTextEncoding, getTextEncoding } from "@bufbuild/protobuf/wire";
import { afterEach, describe, expect, it } from "vitest";
import { CompleteResponseSchema } from "../../gen/modelgate/v1/completion_pb.js";
import { installFastTextEncoding } from "./fast-text-encoding.js";

const standard = getTextEncoding();
afterEach(() => configureTextEncoding(standard));

const samples = ["", "plain ascii", "héllo wörld", "日本語のテキスト", "emoji 👋🏽 and more", "lone \ud800 surrogate", "\udfff", "a\u0000b"];

describe("installFastTextEncoding", () => {
  it("encodes every string to the same bytes as TextEncoder, lone surrogates included", () => {
    installFastTextEncoding();
    const fast = getTextEncoding();
    for (const text of samples) expect(Uint8Array.from(fast.encodeUtf8(text))).toEqual(new TextEncoder().encode(text));
  });

  it("accepts and refuses the same strings as protobuf-es's own check", () => {
    installFastTextEncoding();
    const fast = getTextEncoding();
    for (const text of samples) expect(fast.checkUtf8(text)).toBe(standard.checkUtf8(text));
  });

  it("serialises a message to the same bytes, which parse back to the same message", () => {
    const message = create(CompleteResponseSchema, { requestId: "req-1", text: "héllo 👋 \ud800", reasoning: "日本" });
    const before = toBinary(CompleteResponseSchema, message);
    installFastTextEncoding();
    const after = toBinary(CompleteResponseSchema, message);
    expect(after).toEqual(before);
    expect(fromBinary(CompleteResponseSchema, after).text).toBe(fromBinary(CompleteResponseSchema, before).text);
  });
});
