/**
 * Gives every call a request id before anything else runs (the node handler's pick, else the client's
 * `x-request-id`, else a fresh UUID) and echoes the effective one as the `x-request-id` response header,
 * unless the service already set it (a request body that names its own id).
 */
import type { Interceptor } from "@connectrpc/connect";
import { pickRequestId, requestIdHeader, requestIdKey } from "../request-id.js";

export function requestIdInterceptor(): Interceptor {
  return (next) => async (request) => {
    let requestId = request.contextValues.get(requestIdKey);
    if (requestId === undefined) {
      requestId = pickRequestId(request.header.get(requestIdHeader));
      request.contextValues.set(requestIdKey, requestId);
    }
    const response = await next(request);
    if (!response.header.has(requestIdHeader)) response.header.set(requestIdHeader, requestId);
    return response;
  };
}
