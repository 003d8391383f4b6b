/**
 * CORS for browser clients (gRPC-Web and Connect) with an origin allow-list. Uses connect's lists of the
 * methods and headers its protocols need, plus our `x-request-id`. A disallowed origin gets no
 * Access-Control-Allow-Origin, so the browser blocks the response; the request itself is still served
 * (CORS is a browser policy, not authentication).
 */
import { cors as connectCors } from "@connectrpc/connect";
import type { IncomingHttpHeaders } from "node:http";
import { requestIdHeader } from "./request-id.js";

export interface CorsPolicy {
  /** Headers to add to a response for a request with these headers (none for a disallowed origin). */
  responseHeaders(requestHeaders: IncomingHttpHeaders): Record<string, string>;
  /** The answer to a preflight request, or undefined when the request is not a preflight. */
  preflight(method: string | undefined, requestHeaders: IncomingHttpHeaders): { status: number; headers: Record<string, string> } | undefined;
}

/** `allowedOrigins` are exact origins ("https://app.example.com") or "*". */
export function createCorsPolicy(allowedOrigins: readonly string[]): CorsPolicy {
  const allowAny = allowedOrigins.includes("*");
  const allowed = new Set(allowedOrigins.map((origin) => origin.replace(/\/$/, "").toLowerCase()));
  const isAllowed = (origin: string): boolean => allowAny || allowed.has(origin.toLowerCase());
  const exposed = [...connectCors.exposedHeaders, requestIdHeader].join(", ");
  const allowHeaders = [...connectCors.allowedHeaders, requestIdHeader].join(", ");
  const allowMethods = [...connectCors.allowedMethods].join(", ");

  const originOf = (headers: IncomingHttpHeaders): string | undefined => {
    const origin = headers.origin;
    return typeof origin === "string" && origin !== "" ? origin : undefined;
  };

  return {
    responseHeaders(headers): Record<string, string> {
      const origin = originOf(headers);
      if (origin === undefined) return {};
      if (!isAllowed(origin)) return { vary: "Origin" };
      return { "access-control-allow-origin": origin, "access-control-expose-headers": exposed, vary: "Origin" };
    },
    preflight(method, headers): { status: number; headers: Record<string, string> } | undefined {
      if (method !== "OPTIONS" || headers["access-control-request-method"] === undefined) return undefined;
      const origin = originOf(headers);
      if (origin === undefined || !isAllowed(origin)) return { status: 204, headers: { vary: "Origin" } };
      return {
        status: 204,
        headers: {
          "access-control-allow-origin": origin,
          "access-control-allow-methods": allowMethods,
          "access-control-allow-headers": allowHeaders,
          "access-control-max-age": "7200",
          vary: "Origin",
        },
      };
    },
  };
}
