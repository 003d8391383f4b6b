import { createParser } from "eventsource-parser";
import { readChunks, type ReadChunksOptions } from "./read-chunks.js";

/** One server-sent event; `event` is absent when the server sent no `event:` field. */
export interface SseEvent {
  event?: string;
  data: string;
}

/**
 * Parses a server-sent-events body into events. eventsource-parser handles `\n`, `\r\n` and `\r`
 * line ends, comments (`: keep-alive`) and multi-line `data:`; a streaming `TextDecoder` keeps a
 * multi-byte UTF-8 character split across two chunks intact. A final event not followed by a blank
 * line is still delivered at EOF (some servers omit the last blank line), so the adapter, not this
 * reader, decides whether the stream ended properly. Throws `ProviderError("timeout")` after a
 * silence longer than `idleMs` and `ProviderError("canceled")` when `signal` aborts.
 */
export async function* readSseEvents(
  body: AsyncIterable<Uint8Array>,
  options: ReadChunksOptions,
): AsyncGenerator<SseEvent, void, undefined> {
  const pending: SseEvent[] = [];
  const parser = createParser({
    onEvent(message) {
      pending.push(message.event === undefined ? { data: message.data } : { event: message.event, data: message.data });
    },
    onError() {
      // Unknown fields and bad `retry:` values are ignored, as the SSE standard says.
    },
  });
  const decoder = new TextDecoder();
  for await (const chunk of readChunks(body, options)) {
    parser.feed(decoder.decode(chunk, { stream: true }));
    while (pending.length > 0) yield pending.shift() as SseEvent;
  }
  parser.feed(`${decoder.decode()}\n\n`);
  while (pending.length > 0) yield pending.shift() as SseEvent;
}
