/**
 * The head of a server-streaming response (status 200 and the response header), sent once: with the
 * first message or the end, as connect sends it, or earlier, once the implementation is found waiting,
 * which is the usual case: a completion waits on its upstream for the first token.
 *
 * Why not wait for the first message: a client handles a response's head before its body (undici
 * resolves the response, grpc-js emits 'metadata', connect runs onHeader). Sent with the first token,
 * that work comes on top of the time to first token; sent while the upstream is still thinking, it
 * overlaps the wait. `npx tsx bench/ttft-split.ts --baseline <bundle>` measured 0.13–0.31 ms less on
 * the delta path on every surface over two runs (docs/benchmarks.md, "Where the time goes").
 *
 * "Found waiting": the implementation has neither yielded nor ended 5 ms after its first `next()`. Not
 * sooner: with `setImmediate`, and still with a 1 ms timer, the setup half grew by 0.1–0.2 ms in every
 * run, as if the head competed with the upstream request for this one thread (a Node timer can fire
 * early by as much as its loop's clock is stale, so "1 ms" can be much less). The upstream request
 * leaves well within 1 ms of the call's arrival on this rig, and 5 ms is nothing next to a model's
 * time to first token. An answer
 * that needs no upstream (a validation error, an unknown model) goes out as connect sends it.
 *
 * The bytes are connect's; only when they leave differs. What this gives up: a header the
 * implementation sets after those first milliseconds is not sent (connect sends those set before the
 * first message). The gateway's implementation sets its one header, x-request-id, before its first await.
 */
/** How long an implementation may take to yield or end before it counts as waiting. */
const waitingAfterMs = 5;

export class StreamHead {
  private sent = false;

  /**
   * @param send writes the head (status 200 and the response header as it is then); `early` is true when
   *   nothing follows it at once, so a transport that holds a head back for the body must flush it;
   * @param writable false once nothing should be written any more (the client went away, or the response ended).
   */
  constructor(
    private readonly send: (early: boolean) => void,
    private readonly writable: () => boolean,
  ) {}

  /** Sends the head unless it was sent already; call right before writing a message or the end. */
  sendNow(): void {
    if (this.sent) return;
    this.sent = true;
    this.send(false);
  }

  /** Call right after the implementation's first `next()`: sends the head `waitingAfterMs` later if nothing else has. */
  sendOnceWaiting(): void {
    setTimeout(sendIfStillWaiting, waitingAfterMs, this);
  }

  /** @internal */
  sendIfWritable(): void {
    if (this.sent || !this.writable()) return;
    this.sent = true;
    this.send(true);
  }
}

function sendIfStillWaiting(head: StreamHead): void {
  head.sendIfWritable();
}
