/**
 * Who is calling: turns `authorization: Bearer <key>` into the key's record and policy, whichever edge
 * the call came through. A bearer that is a JWT, when `auth.jwt` is set, is an identity provider's token
 * instead (jwt-verifier.ts): its user under the policy its claim names. Static keys from the config are
 * matched first, then the key store. The store's answers are kept for `cacheMs`; after that a remote
 * store's (Redis) copy still serves at once and is re-read in the background, so a known key never makes
 * a call wait on Redis (a call's one round trip is its limit check), while a local store (the file, a
 * `stat` away) is read again on the path. A change the store announces for one key (a revocation, a new
 * key; with Redis by pub/sub) drops its copy at once, so the next call reads afresh; "anything may have
 * changed" (a reloaded file, a reconnected subscriber) marks every copy for a re-read. Only a key never
 * seen before waits for the store, and gets KEY_STORE_UNAVAILABLE (retry) when it does not answer.
 */
import type { Logger } from "pino";
import type { AuthConfig, KeyPolicy } from "../config/schema.js";
import { GatewayError } from "../gateway/gateway-error.js";
import type { Caller } from "../gateway/request-scope.js";
import { bearerKey, hashCallerKey, type KeyRecord } from "./caller-key.js";
import { createJwtVerifier, looksLikeJwt, type JwtVerifier } from "./jwt-verifier.js";
import type { KeyStore } from "./key-store.js";

/** A caller whose key checked out. */
export interface AuthenticatedCaller {
  caller: Caller;
  keyId: string;
  policy: KeyPolicy;
}

export interface CallerAuthenticator {
  /** False when the config has no `auth` section or turns it off: every call is anonymous and unlimited. */
  enabled(): boolean;
  /** The caller named by an `authorization` header; throws UNAUTHENTICATED. Undefined when auth is off. */
  authenticate(authorization: string | null | undefined): Promise<AuthenticatedCaller | undefined>;
  /** Throws PERMISSION_DENIED when the caller's key may not call `model`. */
  authorize(caller: AuthenticatedCaller, model: string): void;
  /** Reserves output tokens for a call that names no maximum. */
  defaultOutputTokens(): number;
  /** The key store behind it, for the admin API. */
  readonly store: KeyStore;
}

export interface CallerAuthenticatorOptions {
  config: () => AuthConfig | undefined;
  store: KeyStore;
  logger: Logger;
  /** Age at which a kept store answer is re-read (in the background; it serves meanwhile). */
  cacheMs?: number;
  now?: () => number;
  /** Verifies identity-provider tokens (`auth.jwt`); one is made when absent. */
  jwt?: JwtVerifier;
}

/** The policy behind each Caller an authenticator handed out (what the redaction layer asks). */
const policies = new WeakMap<Caller, KeyPolicy>();

/** Records the policy behind a Caller made elsewhere (a client certificate's), for `policyOfCaller`. */
export function rememberCallerPolicy(caller: Caller, policy: KeyPolicy): void {
  policies.set(caller, policy);
}

/** The key or token policy of a caller this module authenticated (or was told of); undefined for anyone else. */
export function policyOfCaller(caller: Caller | undefined): KeyPolicy | undefined {
  return caller === undefined ? undefined : policies.get(caller);
}

interface CachedLookup {
  record: KeyRecord | undefined;
  readAt: number;
}

const MAX_CACHED = 10_000;

function unauthenticated(message: string): GatewayError {
  return new GatewayError("UNAUTHENTICATED", message);
}

export function createCallerAuthenticator(options: CallerAuthenticatorOptions): CallerAuthenticator {
  const { store, logger } = options;
  const cacheMs = options.cacheMs ?? 500;
  const now = options.now ?? Date.now;
  const jwt = options.jwt ?? createJwtVerifier({ now });
  const cache = new Map<string, CachedLookup>();
  const pending = new Map<string, Promise<KeyRecord | undefined>>();
  let staticFor: AuthConfig | undefined;
  let staticKeys = new Map<string, KeyRecord>();

  /** Bumped by every announced change: a read that started before one is not joined, nor its answer kept. */
  let changes = 0;
  store.onChange((sha256) => {
    changes++;
    if (sha256 === undefined) {
      // Anything may have changed (a reloaded file, a reconnected subscriber): every copy is re-read
      // before it is trusted again, yet still serves meanwhile from a remote store that may not answer.
      for (const kept of cache.values()) kept.readAt = -Infinity;
      pending.clear();
    } else {
      cache.delete(sha256);
      pending.delete(sha256);
    }
  });

  const staticKey = (config: AuthConfig, sha256: string): KeyRecord | undefined => {
    if (staticFor !== config) {
      staticFor = config;
      staticKeys = new Map(
        config.keys.map((key) => [key.sha256, { id: key.id, sha256: key.sha256, name: key.id, policy: key.policy, createdAt: "", source: "config" as const }]),
      );
    }
    return staticKeys.get(sha256);
  };

  const remember = (sha256: string, record: KeyRecord | undefined): void => {
    if (!cache.has(sha256) && cache.size >= MAX_CACHED) cache.delete(cache.keys().next().value as string);
    cache.set(sha256, { record, readAt: now() });
  };

  /** Reads `sha256` from the store, once at a time per key, and keeps the answer. */
  const read = (sha256: string): Promise<KeyRecord | undefined> => {
    const running = pending.get(sha256);
    if (running !== undefined) return running;
    const startedAt = changes;
    const reading = store
      .findByHash(sha256)
      .then((record) => {
        if (startedAt === changes) remember(sha256, record);
        return record;
      })
      .finally(() => {
        if (pending.get(sha256) === reading) pending.delete(sha256);
      });
    pending.set(sha256, reading);
    return reading;
  };

  const lookUp = async (sha256: string): Promise<KeyRecord | undefined> => {
    const kept = cache.get(sha256);
    if (kept !== undefined && (now() - kept.readAt < cacheMs || store.remote)) {
      // A failed re-read keeps the copy; the next call past `cacheMs` tries again.
      if (now() - kept.readAt >= cacheMs) read(sha256).catch(() => {});
      return kept.record;
    }
    try {
      return await read(sha256);
    } catch (error) {
      if (kept !== undefined) return kept.record;
      logger.warn({ err: error instanceof Error ? error.message : String(error) }, "caller key store did not answer");
      throw new GatewayError("KEY_STORE_UNAVAILABLE", "the caller key could not be checked; retry", { retryAfterMs: 1_000, cause: error });
    }
  };

  return {
    store,
    enabled() {
      const config = options.config();
      return config !== undefined && config.enabled;
    },
    defaultOutputTokens: () => options.config()?.defaultOutputTokens ?? 1_024,
    async authenticate(authorization) {
      const config = options.config();
      if (config === undefined || !config.enabled) return undefined;
      const key = bearerKey(authorization);
      if (key === undefined) throw unauthenticated("a caller key is required: authorization: Bearer <key>");
      if (config.jwt !== undefined && looksLikeJwt(key)) {
        const user = await jwt.verify(key, config.jwt);
        const { team, service, environment } = user.policy.metadata ?? {};
        const caller: Caller = { id: user.id, label: user.label, team, service, environment };
        policies.set(caller, user.policy);
        return { keyId: user.id, policy: user.policy, caller };
      }
      const sha256 = hashCallerKey(key);
      const record = staticKey(config, sha256) ?? (await lookUp(sha256));
      if (record === undefined || record.revokedAt !== undefined) throw unauthenticated("the caller key is not valid");
      const { team, service, environment } = record.policy.metadata ?? {};
      const caller: Caller = { id: record.id, team, service, environment };
      policies.set(caller, record.policy);
      return { keyId: record.id, policy: record.policy, caller };
    },
    authorize(caller, model) {
      const allowed = caller.policy.aliases;
      if (allowed !== undefined && !allowed.includes(model)) {
        throw new GatewayError("PERMISSION_DENIED", `this key may not call model "${model}"`, { metadata: { model } });
      }
    },
  };
}
