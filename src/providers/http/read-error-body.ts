import type { UpstreamResponse } from "./pooled-client.js";

/**
 * Reads at most `maxBytes` of an error response's body as UTF-8 and frees the connection. Error
 * bodies go to the vendor's `<p>-error.ts` and to logs only; the cap keeps a misbehaving upstream
 * (an HTML error page, an endless stream) from filling memory. A failure while reading returns
 * what was read so far: the status alone still classifies the error.
 */
export async function readErrorBody(response: UpstreamResponse, maxBytes = 64 * 1024): Promise<string> {
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
