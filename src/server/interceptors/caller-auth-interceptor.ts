/**
 * Who is calling: `authorization: Bearer <key>` checked against the keys' hashes (caller-gate.ts).
 * A missing, unknown or revoked key is UNAUTHENTICATED. The caller (key id and its team, service and
 * environment) goes into the RequestScope, so the call's log line names it. With auth off (no `auth`
 * section, or `enabled: false`) every call passes anonymously. A call without the header over a mutual
 * TLS connection whose certificate stands for a key (`server.tls.callers`) is that key's caller.
 */
import type { Interceptor } from "@connectrpc/connect";
import type { CallerGate } from "../../callers/caller-gate.js";
import { certificateCallerKey } from "../client-certificate-caller.js";
import { authenticatedCallerKey } from "./caller-key-context.js";
import { requestScopeKey } from "./request-scope-key.js";

export function callerAuthInterceptor(gate: CallerGate): Interceptor {
  return (next) => async (request) => {
    const authorization = request.header.get("authorization");
    const caller = (authorization === null ? request.contextValues.get(certificateCallerKey) : undefined) ?? (await gate.authenticate(authorization));
    if (caller !== undefined) {
      request.contextValues.set(authenticatedCallerKey, caller);
      const scope = request.contextValues.get(requestScopeKey);
      if (scope !== undefined) scope.caller = caller.caller;
    }
    return next(request);
  };
}
