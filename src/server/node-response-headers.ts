/**
 * connect-node's `webHeaderToNodeHeaders` for one `Headers` (lower-case names, repeated ones as arrays),
 * which connect-node does not export. The fast paths write their heads and trailers with it, so what
 * they send is what connect-node's `universalResponseToNodeResponse` would send.
 */
import type { OutgoingHttpHeaders } from "node:http";

export function nodeHeaders(header: Headers): OutgoingHttpHeaders {
  const result: Record<string, string | string[]> = Object.create(null) as Record<string, string | string[]>;
  header.forEach((value, key) => {
    const existing = result[key];
    if (existing === undefined) result[key] = value;
    else if (Array.isArray(existing)) existing.push(value);
    else result[key] = [existing, value];
  });
  return result;
}
