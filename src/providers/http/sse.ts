import { createParser } from "eventsource-parser";
import { readChunks, type ReadEventsOptions } from "./read-chunks.js";
import { responseTooLarge } from "./response-limits.js";

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
 *
 * Size: the parser buffers a line until its end and an event's `data:` lines until the blank line, so
 * an upstream that never ends a line would grow that buffer for as long as the attempt lasts. Its
 * `maxBufferSize` bounds both; past it this throws `responseTooLarge("maxEventBytes")` (events complete
 * before the overflow are yielded first). The parser counts characters of decoded text, never more
 * than the UTF-8 bytes they came from: an ASCII event (JSON as vendors send it) is held to exactly
 * `maxEventBytes` bytes, one of multi-byte text to at most three times that.
 */
export async function* readSseEvents(
  body: AsyncIterable<Uint8Array>,
  options: ReadEventsOptions,
): AsyncGenerator<SseEvent, void, undefined> {
  const pending: SseEvent[] = [];
  let overflowed = false;
  const parser = createParser({
    maxBufferSize: options.maxEventBytes,
    onEvent(message) {
      pending.push(message.event === undefined ? { data: message.data } : { event: message.event, data: message.data });
    },
    onError(error) {
      // Unknown fields and bad `retry:` values are ignored, as the SSE standard says.
      if (error.type === "max-buffer-size-exceeded") overflowed = true;
    },
  });
  const decoder = new TextDecoder();
  for await (const chunk of readChunks(body, options)) {
    parser.feed(decoder.decode(chunk, { stream: true }));
    while (pending.length > 0) yield pending.shift() as SseEvent;
    if (overflowed) throw responseTooLarge("maxEventBytes", options.maxEventBytes);
  }
  parser.feed(`${decoder.decode()}\n\n`);
  while (pending.length > 0) yield pending.shift() as SseEvent;
  if (overflowed) throw responseTooLarge("maxEventBytes", options.maxEventBytes);
}
