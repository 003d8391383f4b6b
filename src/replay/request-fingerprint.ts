/**
 * Stable hashes of a request: SHA-256 over canonical JSON (keys sorted, absent fields left out, in the
 * spirit of RFC 8785), so the same request always hashes the same however its fields were ordered.
 * - the fingerprint: everything the caller sent except the request id and a resume position; one id
 *   with two different fingerprints is refused.
 * - the cache key: only what decides the answer (model, messages, tools, tool choice, sampling,
 *   response format), not routing hints or metadata.
 */
import { createHash, type Hash } from "node:crypto";
import type { GatewayRequest } from "../gateway/types.js";

/** Feeds `value`'s canonical JSON to `hash` piece by piece: a large prompt is never copied into one string. */
function hashCanonical(hash: Hash, value: unknown): void {
  if (value === null || typeof value !== "object") {
    hash.update(JSON.stringify(value) ?? "null");
    return;
  }
  if (value instanceof Uint8Array) {
    hash.update(JSON.stringify(Buffer.from(value).toString("base64")));
    return;
  }
  if (Array.isArray(value)) {
    hash.update("[");
    value.forEach((item, index) => {
      if (index > 0) hash.update(",");
      hashCanonical(hash, item);
    });
    hash.update("]");
    return;
  }
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, field]) => field !== undefined)
    .sort(([left], [right]) => (left < right ? -1 : left > right ? 1 : 0));
  hash.update("{");
  entries.forEach(([key, field], index) => {
    hash.update(`${index > 0 ? "," : ""}${JSON.stringify(key)}:`);
    hashCanonical(hash, field);
  });
  hash.update("}");
}

/** SHA-256 (hex) of `value`'s canonical JSON. */
function hashOf(value: unknown): string {
  const hash = createHash("sha256");
  hashCanonical(hash, value);
  return hash.digest("hex");
}

export function sha256(text: string): string {
  return createHash("sha256").update(text).digest("hex");
}

/** The request as the caller sent it, minus its id and resume position; `kind` keeps unary and stream apart. */
export function requestFingerprint(kind: "complete" | "stream", request: GatewayRequest): string {
  const { requestId: _id, requestIdFromCaller: _fromCaller, resumeAfterPosition: _position, ...rest } = request;
  return hashOf({ kind, ...rest });
}

/** What decides the answer, scoped to `scope` (a caller, or "" for entries every caller shares). */
export function cacheKey(kind: "complete" | "stream", request: GatewayRequest, scope: string): string {
  return hashOf({
    kind,
    scope,
    model: request.model,
    messages: request.messages,
    tools: request.tools,
    toolChoice: request.toolChoice,
    sampling: request.sampling,
    responseFormat: request.responseFormat,
  });
}
