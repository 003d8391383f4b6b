/**
 * Turns whatever a call failed with into the ConnectError the client sees (to-connect-error.ts), after
 * asking the call's signal what really happened: an engine error raised by a deadline, a cancel or the
 * shutdown is reported as that.
 */
import type { Interceptor } from "@connectrpc/connect";
import { requestIdKey } from "../request-id.js";
import { toConnectError } from "../to-connect-error.js";
import { abortAwareError } from "./abort-reasons.js";
import { observeCall } from "./observe-call.js";
import { requestScopeKey } from "./request-scope-key.js";

export function connectErrorInterceptor(): Interceptor {
  return (next) => (request) =>
    observeCall(next, request, ({ error }) => {
      if (error === undefined) return undefined;
      const scope = request.contextValues.get(requestScopeKey);
      const requestId = scope?.requestId ?? request.contextValues.get(requestIdKey) ?? "";
      return toConnectError(scope === undefined ? error : abortAwareError(error, scope.signal), requestId);
    }) as never;
}
