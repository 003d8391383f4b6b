/**
 * Writes a streamed response body to a Node response (HTTP/1.1 or HTTP/2) one piece at a time, with
 * the two things a stream needs to know: whether the socket wants the writer to wait ('drain', as
 * connect-node's `write` waits), and whether the client went away (the response closed before it was
 * ended), which also ends any wait, so a stalled stream is stopped rather than left waiting for a
 * 'drain' that never comes.
 *
 * Why a class: it holds per-call state (the gone flag, the pending wait), and its two listeners are the
 * only closures it makes; the rest are prototype methods, which cost nothing per call under tsx (see
 * fast-path-context.ts).
 */
import type { ServerResponse } from "node:http";
import type { NodeResponse } from "./node-handler.js";

export class StreamResponseWriter {
  private closedEarly = false;
  private wake: (() => void) | undefined;

  constructor(private readonly response: NodeResponse) {
    response.on("drain", () => this.resume());
    response.once("close", () => {
      if (response.writableEnded) return;
      this.closedEarly = true;
      this.resume();
    });
  }

  /** The client went away: nothing written now would reach it. */
  get gone(): boolean {
    if (this.closedEarly) return true;
    const response = this.response;
    // An HTTP/2 response has no `destroyed` of its own; its stream's is set a tick before 'close' (a
    // reset stream), when `writeHead` would already throw.
    return "stream" in response ? response.stream.destroyed : response.destroyed;
  }

  /**
   * Writes `bytes` now. Returns undefined when the caller may go on, or a promise that resolves when
   * it may (the socket drained) or must stop (the client went away: check `gone`).
   */
  write(bytes: Uint8Array): Promise<void> | undefined {
    // Both Node response types take write(chunk); the union's overloads do not unify.
    if ((this.response as ServerResponse).write(bytes)) return undefined;
    if (this.gone) return undefined;
    return new Promise((resolve) => {
      this.wake = resolve;
    });
  }

  /** Writes the last piece and ends the response. */
  end(bytes: Uint8Array): void {
    (this.response as ServerResponse).end(bytes);
  }

  private resume(): void {
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  }
}
