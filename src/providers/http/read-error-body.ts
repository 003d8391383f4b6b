import type { UpstreamResponse } from "./pooled-client.js";
import { maxErrorBodyBytes } from "./response-limits.js";

/**
 * Reads at most `maxBytes` of an error response's body as UTF-8 and frees the connection. Error
 * bodies go to the vendor's `<p>-error.ts` and to logs only; the cap keeps a misbehaving upstream
 * (an HTML error page, an endless stream) from filling memory: reading stops there and the socket is
 * closed, not drained (`break` releases the exchange). A failure while reading returns
 * what was read so far: the status alone still classifies the error.
 */
export async function readErrorBody(response: UpstreamResponse, maxBytes = maxErrorBodyBytes): Promise<string> {
  const decoder = new TextDecoder();
  let text = "";
  let size = 0;
  try {
    for await (const chunk of response.body) {
      const room = maxBytes - size;
      text += decoder.decode(chunk.subarray(0, room), { stream: true });
      size += Math.min(room, chunk.byteLength);
      if (size >= maxBytes) break;
    }
  } catch {
    // Keep what arrived: the status is enough to classify the failure.
  }
  return text + decoder.decode();
}
