/**
 * Tokens from the operator's identity provider (browser callers never hold a service key): a bearer that
 * is a JWT is verified with `jose` against the config's issuer, audience and pinned algorithms, signed by
 * a key of the provider's JWKS, and must name a subject. Its `policyClaim` picks a policy of
 * `auth.jwt.policies`; the caller is the user under that policy, `jwt:<policy>:<subject>`, so the limiter
 * counts each user on their own while metrics label the policy only (`jwt:<policy>`).
 *
 * Keys: a JWKS URL is fetched with jose's remote set (one fetch at a time, `jwksTimeoutMs` each, cached
 * for `jwksMaxAgeMs`, refetched for an unknown `kid` but never sooner than `jwksCooldownMs` after the last
 * fetch, so forged tokens cannot make us hammer the provider); a JWKS file is re-read when its mtime
 * changes (checked at most once a second). The set survives config reloads that keep the same source.
 *
 * A token that fails any check is UNAUTHENTICATED; a JWKS that cannot be fetched or parsed is
 * KEY_STORE_UNAVAILABLE (retry: the provider's fault, not the caller's).
 */
import { createHash } from "node:crypto";
import { readFile, stat } from "node:fs/promises";
import type { JWTPayload, JWTVerifyGetKey } from "jose";
import type { JwtAuthConfig, KeyPolicy } from "../config/schema.js";
import { GatewayError } from "../gateway/gateway-error.js";

/** A verified token's user under its policy. */
export interface JwtCaller {
  /** `jwt:<policy>:<subject>` (the subject hashed when it is long or has unusual characters). */
  id: string;
  /** `jwt:<policy>`: bounded, for metrics. */
  label: string;
  policyName: string;
  policy: KeyPolicy;
}

export interface JwtVerifier {
  /** Verifies `token` under `config`; throws UNAUTHENTICATED, PERMISSION_DENIED or KEY_STORE_UNAVAILABLE. */
  verify(token: string, config: JwtAuthConfig): Promise<JwtCaller>;
}

/** Three base64url segments: the compact JWS form. Caller keys (`mgk_…`) never have dots. */
export function looksLikeJwt(token: string): boolean {
  return /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/.test(token);
}

const safeSubject = /^[A-Za-z0-9_.@|:+-]{1,128}$/;

/** The subject as it goes into a caller id (and a Redis key's hash tag): no braces, bounded length. */
export function subjectId(subject: string): string {
  return safeSubject.test(subject) ? subject : `h_${createHash("sha256").update(subject).digest("hex").slice(0, 32)}`;
}

function unauthenticated(message: string, cause?: unknown): GatewayError {
  return new GatewayError("UNAUTHENTICATED", message, { cause });
}

/** The policy a token's claim names, or the default one. */
function policyFor(payload: JWTPayload, config: JwtAuthConfig): string | undefined {
  const claim = payload[config.policyClaim];
  const names = typeof claim === "string" ? [claim] : Array.isArray(claim) ? claim.filter((value): value is string => typeof value === "string") : [];
  return names.find((name) => Object.hasOwn(config.policies, name)) ?? config.defaultPolicy;
}

/** jose is loaded on the first token, so a gateway without `auth.jwt` never loads it. */
let joseModule: Promise<typeof import("jose")> | undefined;
const loadJose = (): Promise<typeof import("jose")> => (joseModule ??= import("jose"));

/** jose's error codes about fetching or reading keys: the provider's fault (or ours), not the caller's. */
const keyErrorCodes = new Set(["ERR_JWKS_TIMEOUT", "ERR_JWKS_INVALID", "ERR_JOSE_GENERIC"]);

/** jose's errors about the token (the caller's fault) versus about fetching keys (ours). */
function toGatewayError(error: unknown): GatewayError {
  const code = typeof error === "object" && error !== null && "code" in error && typeof error.code === "string" && error.code.startsWith("ERR_J") ? error.code : undefined;
  if (code === "ERR_JWT_EXPIRED") return unauthenticated("the token has expired", error);
  if (code === "ERR_JWKS_NO_MATCHING_KEY") return unauthenticated("the token's signing key is not known", error);
  if (code === undefined || keyErrorCodes.has(code)) {
    return new GatewayError("KEY_STORE_UNAVAILABLE", "the identity provider's keys could not be read; retry", { retryAfterMs: 1_000, cause: error });
  }
  return unauthenticated("the token is not valid", error);
}

interface KeySource {
  signature: string;
  getKey: JWTVerifyGetKey;
}

/** A JWKS file, re-read when its modification time changes (checked at most once a second). */
function fileKeys(path: string, now: () => number, jose: typeof import("jose")): JWTVerifyGetKey {
  let current: { mtimeMs: number; keys: JWTVerifyGetKey } | undefined;
  let checkedAt = -Infinity;
  let loading: Promise<JWTVerifyGetKey> | undefined;
  const load = async (): Promise<JWTVerifyGetKey> => {
    const { mtimeMs } = await stat(path);
    checkedAt = now();
    if (current?.mtimeMs === mtimeMs) return current.keys;
    const keys = jose.createLocalJWKSet(JSON.parse(await readFile(path, "utf8")) as Parameters<typeof jose.createLocalJWKSet>[0]);
    current = { mtimeMs, keys };
    return keys;
  };
  return async (header, token) => {
    let keys = current?.keys;
    if (keys === undefined || now() - checkedAt >= 1_000) keys = await (loading ??= load().finally(() => (loading = undefined)));
    return keys(header, token);
  };
}

export function createJwtVerifier(options: { now?: () => number } = {}): JwtVerifier {
  const now = options.now ?? Date.now;
  let source: KeySource | undefined;

  const keysFor = (config: JwtAuthConfig, jose: typeof import("jose")): JWTVerifyGetKey => {
    const signature = JSON.stringify([config.jwksUrl, config.jwksFile, config.jwksTimeoutMs, config.jwksCooldownMs, config.jwksMaxAgeMs]);
    if (source?.signature !== signature) {
      const getKey =
        config.jwksUrl !== undefined
          ? jose.createRemoteJWKSet(new URL(config.jwksUrl), {
              timeoutDuration: config.jwksTimeoutMs,
              cooldownDuration: config.jwksCooldownMs,
              cacheMaxAge: config.jwksMaxAgeMs,
            })
          : fileKeys(config.jwksFile as string, now, jose);
      source = { signature, getKey };
    }
    return source.getKey;
  };

  return {
    async verify(token, config) {
      const jose = await loadJose();
      let payload: JWTPayload;
      try {
        ({ payload } = await jose.jwtVerify(token, keysFor(config, jose), {
          issuer: config.issuer,
          audience: config.audience,
          algorithms: config.algorithms,
          clockTolerance: config.clockToleranceSeconds,
          requiredClaims: ["sub", "exp"],
          currentDate: new Date(now()),
        }));
      } catch (error) {
        throw toGatewayError(error);
      }
      const subject = payload.sub;
      if (subject === undefined || subject === "") throw unauthenticated("the token names no subject");
      const policyName = policyFor(payload, config);
      if (policyName === undefined) {
        throw new GatewayError("PERMISSION_DENIED", `the token's ${config.policyClaim} names no policy of this gateway`);
      }
      return { id: `jwt:${policyName}:${subjectId(subject)}`, label: `jwt:${policyName}`, policyName, policy: config.policies[policyName] as KeyPolicy };
    },
  };
}
