/**
 * connect-node's `webHeaderToNodeHeaders` for one `Headers` (lower-case names, repeated ones as arrays),
 * which connect-node does not export. The fast paths write their heads and trailers with it, so what
 * they send is what connect-node's `universalResponseToNodeResponse` would send.
 */
import type { OutgoingHttpHeaders } from "node:http";
import type { FastPathContext } from "./fast-path-context.js";

type EachHeader = (callback: (value: string, name: string) => void) => void;

export function nodeHeaders(header: Headers): OutgoingHttpHeaders {
  return collect((callback) => header.forEach(callback));
}

/** A fast-path call's response header, without building `Headers` when nothing else did. */
export function nodeResponseHeaders(context: FastPathContext): OutgoingHttpHeaders {
  return collect((callback) => context.forEachResponseHeader(callback));
}

function collect(each: EachHeader): OutgoingHttpHeaders {
  const result: Record<string, string | string[]> = Object.create(null) as Record<string, string | string[]>;
  each((value, key) => {
    const existing = result[key];
    if (existing === undefined) result[key] = value;
    else if (Array.isArray(existing)) existing.push(value);
    else result[key] = [existing, value];
  });
  return result;
}
