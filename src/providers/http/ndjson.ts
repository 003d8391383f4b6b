import { readChunks, type ReadChunksOptions } from "./read-chunks.js";

/**
 * Splits a newline-delimited body (Ollama's NDJSON) into its non-empty lines, without the line end
 * (`\n` or `\r\n`). A streaming `TextDecoder` keeps multi-byte UTF-8 characters split across chunks
 * intact, and a last line without a newline is still delivered at EOF. Idle and abort handling as in
 * `readSseEvents`.
 */
export async function* readNdjsonLines(
  body: AsyncIterable<Uint8Array>,
  options: ReadChunksOptions,
): AsyncGenerator<string, void, undefined> {
  const decoder = new TextDecoder();
  let buffer = "";
  for await (const chunk of readChunks(body, options)) {
    buffer += decoder.decode(chunk, { stream: true });
    let newline = buffer.indexOf("\n");
    while (newline !== -1) {
      const line = buffer.slice(0, newline).replace(/\r$/, "");
      buffer = buffer.slice(newline + 1);
      if (line.trim() !== "") yield line;
      newline = buffer.indexOf("\n");
    }
  }
  buffer += decoder.decode();
  const last = buffer.replace(/\r$/, "");
  if (last.trim() !== "") yield last;
}
