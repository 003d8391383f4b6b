/**
 * Caller keys and their records. A key is `mgk_` + 32 random bytes (base64url); only its SHA-256 is ever
 * stored, logged or compared. A plain hash, not a slow one (scrypt, argon2), because a key is 256 random
 * bits, not a password: nobody can guess a preimage, and a slow hash would cost every call milliseconds.
 */
import { createHash, randomBytes } from "node:crypto";
import type { KeyPolicy } from "../config/schema.js";

export const callerKeyPrefix = "mgk_";

/** One caller key as stored: never the key itself. */
export interface KeyRecord {
  /** Public, stable id, e.g. "key_3f9a1c0b7d2e"; what logs, limits and the admin API name. */
  id: string;
  /** SHA-256 of the key, lower-case hex. */
  sha256: string;
  /** A human name ("checkout service"); optional. */
  name: string;
  policy: KeyPolicy;
  /** ISO 8601. */
  createdAt: string;
  /** ISO 8601; a revoked key authenticates nobody. */
  revokedAt?: string;
  /** Where it comes from: the config file's `auth.keys`, or the key store (created through the admin API). */
  source: "config" | "store";
}

/** A new secret key; shown once to whoever created it. */
export function generateCallerKey(): string {
  return callerKeyPrefix + randomBytes(32).toString("base64url");
}

export function newKeyId(): string {
  return `key_${randomBytes(6).toString("hex")}`;
}

/** The SHA-256 (hex) under which a key is stored and looked up. */
export function hashCallerKey(key: string): string {
  return createHash("sha256").update(key).digest("hex");
}

/** The key in `authorization: Bearer <key>`, or undefined when the header is absent or not a bearer. */
export function bearerKey(authorization: string | null | undefined): string | undefined {
  if (authorization === null || authorization === undefined) return undefined;
  const match = /^Bearer[ \t]+([!-~]+)[ \t]*$/i.exec(authorization);
  return match === null ? undefined : match[1];
}
