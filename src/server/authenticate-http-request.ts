/**
 * Caller authentication and limits for plain HTTP edges (the OpenAI-compatible `/v1/*` routes): the
 * same keys, hashes, cache, policies and errors as the Connect interceptors
 * (`interceptors/caller-auth-interceptor.ts`, `interceptors/caller-limits-interceptor.ts`).
 *
 * - `createHttpCallerAuthenticator(gate)` is the edge's `HttpAuthenticator` hook: it throws
 *   `GatewayError` UNAUTHENTICATED (HTTP 401) for a missing, unknown or revoked key and
 *   KEY_STORE_UNAVAILABLE (503, retry) when the key store does not answer for a key never seen; it
 *   resolves undefined when auth is off (no `auth` section, or `enabled: false`).
 * - `admitHttpCall(gate, caller, call)` then checks the key's policy for a completion: PERMISSION_DENIED
 *   (403), RATE_LIMITED / COST_LIMIT_EXCEEDED (429, `retry-after` from `retryAfterMs`). Settle the pass
 *   it returns exactly once when the call ends, with the usage and cost (undefined tokens when unknown).
 */
import type { IncomingHttpHeaders } from "node:http";
import type { AuthenticatedCaller } from "../callers/caller-authenticator.js";
import type { CallerGate, CallPass, CallToAdmit } from "../callers/caller-gate.js";
import type { Caller } from "../gateway/request-scope.js";
import type { HttpAuthenticator } from "./openai/http-authenticator.js";

/** The key policy behind each Caller this module handed out. */
const authenticated = new WeakMap<Caller, AuthenticatedCaller>();

/** Authenticates one request's `authorization` header; undefined when auth is off. */
export async function authenticateHttpRequest(gate: CallerGate, headers: IncomingHttpHeaders | Headers): Promise<AuthenticatedCaller | undefined> {
  const authorization = headers instanceof Headers ? headers.get("authorization") : headers.authorization;
  const caller = await gate.authenticate(authorization);
  if (caller !== undefined) authenticated.set(caller.caller, caller);
  return caller;
}

/** The OpenAI edge's authentication hook over the gateway's caller keys. */
export function createHttpCallerAuthenticator(gate: CallerGate): HttpAuthenticator {
  return async (request) => (await authenticateHttpRequest(gate, request.headers))?.caller;
}

/** Admits a completion of an authenticated caller (a no-op pass for an anonymous one). */
export async function admitHttpCall(gate: CallerGate, caller: Caller | undefined, call: CallToAdmit): Promise<CallPass> {
  const known = caller === undefined ? undefined : authenticated.get(caller);
  if (known === undefined) return { settle() {} };
  return gate.admit(known, call);
}
