import { readChunks, type ReadEventsOptions } from "./read-chunks.js";
import { responseTooLarge } from "./response-limits.js";

const newline = 0x0a;

/**
 * Splits a newline-delimited body (Ollama's NDJSON) into its non-empty lines, without the line end
 * (`\n` or `\r\n`). A last line without a newline is still delivered at EOF. Idle and abort handling as
 * in `readSseEvents`.
 *
 * Lines are split on bytes and each decoded whole (a newline byte never occurs inside a multi-byte UTF-8
 * character, so a character split across chunks is rejoined first). Each chunk is scanned once, for its
 * own bytes only: an unfinished line's earlier chunks are kept aside, never searched again, so a line
 * that never ends costs linear time, not a rescan of everything buffered per chunk. A line longer than
 * `maxEventBytes` throws `responseTooLarge("maxEventBytes")` as soon as that many bytes of it are held.
 */
export async function* readNdjsonLines(
  body: AsyncIterable<Uint8Array>,
  options: ReadEventsOptions,
): AsyncGenerator<string, void, undefined> {
  const decoder = new TextDecoder();
  /** The unfinished line's bytes from earlier chunks. */
  let held: Uint8Array[] = [];
  let heldBytes = 0;
  const lineOf = (tail: Uint8Array): string | undefined => {
    const bytes = held.length === 0 ? tail : Buffer.concat([...held, tail], heldBytes + tail.byteLength);
    held = [];
    heldBytes = 0;
    const line = decoder.decode(bytes);
    const trimmed = line.endsWith("\r") ? line.slice(0, -1) : line;
    return trimmed.trim() === "" ? undefined : trimmed;
  };

  for await (const chunk of readChunks(body, options)) {
    let start = 0;
    for (let end = chunk.indexOf(newline); end !== -1; end = chunk.indexOf(newline, start)) {
      if (heldBytes + end - start > options.maxEventBytes) throw responseTooLarge("maxEventBytes", options.maxEventBytes);
      const line = lineOf(chunk.subarray(start, end));
      start = end + 1;
      if (line !== undefined) yield line;
    }
    if (start < chunk.byteLength) {
      heldBytes += chunk.byteLength - start;
      if (heldBytes > options.maxEventBytes) throw responseTooLarge("maxEventBytes", options.maxEventBytes);
      held.push(chunk.subarray(start));
    }
  }
  const last = lineOf(new Uint8Array(0));
  if (last !== undefined) yield last;
}
