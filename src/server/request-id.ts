/**
 * The per-call request id: the client's `x-request-id` header when usable, else a generated UUID. The
 * node handler picks it before connect runs, so even errors raised before a service method (an oversize
 * body) carry it; services read it from the context values and echo the effective id in the
 * `x-request-id` response header.
 */
import { randomUUID } from "node:crypto";
import { createContextKey } from "@connectrpc/connect";
import { isUsableRequestId } from "./convert-request.js";

/** The request id header, read from requests and echoed on responses. */
export const requestIdHeader = "x-request-id";

/** Context value holding the call's request id (header or generated). */
export const requestIdKey = createContextKey<string | undefined>(undefined, { description: "modelgate request id" });

/** The header's id when usable, otherwise a fresh UUID. */
export function pickRequestId(headerValue: string | string[] | null | undefined): string {
  const value = Array.isArray(headerValue) ? headerValue[0] : headerValue;
  return isUsableRequestId(value) ? value : randomUUID();
}
