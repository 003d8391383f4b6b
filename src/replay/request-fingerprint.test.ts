import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import type { GatewayRequest } from "../gateway/types.js";
import { cacheKey, requestFingerprint } from "./request-fingerprint.js";

/** The canonical JSON as one string (how fingerprints were made before hashing piece by piece): runs stored then must still match. */
function canonical(value: unknown): string {
  if (value === null || typeof value !== "object") return JSON.stringify(value) ?? "null";
  if (Array.isArray(value)) return `[${value.map(canonical).join(",")}]`;
  if (value instanceof Uint8Array) return JSON.stringify(Buffer.from(value).toString("base64"));
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, field]) => field !== undefined)
    .sort(([left], [right]) => (left < right ? -1 : left > right ? 1 : 0));
  return `{${entries.map(([key, field]) => `${JSON.stringify(key)}:${canonical(field)}`).join(",")}}`;
}
const sha256 = (text: string): string => createHash("sha256").update(text).digest("hex");

const request = {
  requestId: "r-1",
  requestIdFromCaller: true,
  model: "chat",
  messages: [
    { role: "user", parts: [{ type: "text", text: "héllo \"world\" \u2028 ".repeat(1_000) }, { type: "image", data: new Uint8Array([1, 2, 3]), mimeType: "image/png" }] },
    { role: "assistant", parts: [], toolCalls: [{ id: "c", name: "f", argumentsJson: "{\"a\":1}" }] },
  ],
  tools: [],
  sampling: { temperature: 0, maxOutputTokens: undefined, stop: ["x", "y"] },
  routing: { tags: ["b", "a"], metadata: { z: "1", a: "2" } },
  responseFormat: undefined,
} as unknown as GatewayRequest;

describe("request fingerprints", () => {
  it("hash the same canonical JSON as one string would, key order and absent fields aside", () => {
    const { requestId: _id, requestIdFromCaller: _fromCaller, ...rest } = request;
    expect(requestFingerprint("stream", request)).toBe(sha256(canonical({ kind: "stream", ...rest })));
    const reordered = Object.fromEntries(Object.entries(request).reverse()) as unknown as GatewayRequest;
    expect(requestFingerprint("stream", reordered)).toBe(requestFingerprint("stream", request));
    expect(requestFingerprint("complete", request)).not.toBe(requestFingerprint("stream", request));
  });

  it("leave the id and the resume position out of the fingerprint, and routing out of the cache key", () => {
    const other = { ...request, requestId: "r-2", resumeAfterPosition: 4 } as GatewayRequest;
    expect(requestFingerprint("stream", other)).toBe(requestFingerprint("stream", request));
    const rerouted = { ...request, routing: { tags: [], metadata: {} } } as unknown as GatewayRequest;
    expect(cacheKey("stream", rerouted, "caller:a")).toBe(cacheKey("stream", request, "caller:a"));
    expect(cacheKey("stream", request, "caller:b")).not.toBe(cacheKey("stream", request, "caller:a"));
    expect(requestFingerprint("stream", rerouted)).not.toBe(requestFingerprint("stream", request));
  });
});
