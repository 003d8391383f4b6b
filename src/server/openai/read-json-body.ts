/**
 * Reads a request body as JSON, bounded: at most `maxBytes` (`server.maxMessageBytes`, the Connect
 * edge's limit too) are ever held, refused from Content-Length before any byte is read, or as soon as
 * the count passes it. Nesting is bounded before `JSON.parse`, so no later walk of the value (zod,
 * JSON.stringify) can overflow the stack.
 */
import http2 from "node:http2";
import { GatewayError } from "../../gateway/types.js";
import { jsonDepthExceeds } from "../convert-request.js";
import type { NodeRequest, NodeResponse } from "../node-handler.js";

/** Deepest body accepted: the contract's 64 levels of JSON Schema, plus the request's own few. */
const maxBodyDepth = 72;
/** How long a refused client has to read its answer before its connection (or HTTP/2 stream) is closed. */
const lingerAfterRefusalMs = 1_000;

function tooLarge(maxBytes: number, size?: number): GatewayError {
  const sizeText = size === undefined ? "larger than" : `${size} bytes, more than`;
  return new GatewayError("MESSAGE_TOO_LARGE", `request body is ${sizeText} the limit of ${maxBytes} bytes (server.maxMessageBytes)`, {
    metadata: { max_bytes: String(maxBytes) },
  });
}

/**
 * The parsed body. Throws MESSAGE_TOO_LARGE (after arranging for the rest of the body to be dropped
 * with the connection) or INVALID_REQUEST for a body that is not JSON.
 */
export async function readJsonBody(request: NodeRequest, response: NodeResponse, maxBytes: number): Promise<unknown> {
  const declared = Number.parseInt(String(request.headers["content-length"] ?? ""), 10);
  if (Number.isFinite(declared) && declared > maxBytes) {
    stopReading(request, response);
    throw tooLarge(maxBytes, declared);
  }
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of request as AsyncIterable<Buffer>) {
    total += chunk.byteLength;
    if (total > maxBytes) {
      stopReading(request, response);
      throw tooLarge(maxBytes);
    }
    chunks.push(chunk);
  }
  const text = Buffer.concat(chunks, total).toString("utf8");
  if (jsonDepthExceeds(text, maxBodyDepth)) {
    throw new GatewayError("INVALID_REQUEST", `the body is nested more than ${maxBodyDepth} levels deep`);
  }
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new GatewayError("INVALID_REQUEST", "the body is not valid JSON: send a JSON object with content-type application/json");
  }
}

/**
 * Stops taking a refused body. HTTP/1.1: the answer says `connection: close` and the socket is
 * destroyed a moment after it, unread (closing at once with the client's bytes unread can reset the
 * connection before the client reads the answer). HTTP/2: the stream is cancelled after the same linger.
 */
function stopReading(request: NodeRequest, response: NodeResponse): void {
  if ("stream" in request) {
    const stream = request.stream;
    response.once("finish", () => setTimeout(() => stream.close(http2.constants.NGHTTP2_CANCEL), lingerAfterRefusalMs).unref());
    return;
  }
  const socket = request.socket;
  if (!response.headersSent) response.setHeader("connection", "close");
  response.once("finish", () => {
    socket.removeListener("finish", socket.destroy);
    socket.pause();
    setTimeout(() => socket.destroy(), lingerAfterRefusalMs).unref();
  });
}
