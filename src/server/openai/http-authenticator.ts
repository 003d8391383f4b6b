/**
 * How the OpenAI edge learns who is calling: one function over the plain HTTP request, called once per
 * request before its body is read (openai-routes.ts, the one place it is called). Caller keys plug in
 * here with the same `Authorization: Bearer` header the `openai` SDK sends as its API key. Until they
 * exist the default lets every request through with no caller, like the Connect service today.
 */
import type { IncomingHttpHeaders } from "node:http";
import type { Caller } from "../../gateway/request-scope.js";

export interface HttpRequestFacts {
  method: string;
  /** The path without the query, e.g. "/v1/chat/completions". */
  path: string;
  headers: IncomingHttpHeaders;
}

/**
 * Resolves the caller (undefined: anonymous, allowed) or throws a `GatewayError` refusing the request;
 * its reason picks the status and OpenAI error type (openai-error.ts).
 */
export type HttpAuthenticator = (request: HttpRequestFacts, signal: AbortSignal) => Promise<Caller | undefined>;

/** No authentication: every request is anonymous and allowed. */
export const allowAnonymous: HttpAuthenticator = () => Promise.resolve(undefined);
