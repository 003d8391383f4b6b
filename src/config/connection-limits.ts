/** How long and how large a client connection may be: the limits every connection lives under (`server.connections` in the config). */
export interface ConnectionLimits {
  /** Until a request's head (and a new connection's first bytes) must have arrived. */
  headersTimeoutMs: number;
  /** Until a whole request, body included, must have arrived. */
  requestTimeoutMs: number;
  /** How long an HTTP/1.1 connection may wait idle for its next request. */
  keepAliveTimeoutMs: number;
  /** How long an HTTP/2 session may stay open without a stream. */
  idleTimeoutMs: number;
  /** Streams one HTTP/2 session may have open at once. */
  maxConcurrentStreams: number;
  /** Largest request head, in bytes. */
  maxHeaderBytes: number;
  /** Streams one HTTP/2 session may reset (cancel) in one second before it is closed: a rapid-reset flood. */
  maxStreamResetsPerSecond: number;
  /**
   * Of those, streams reset before the gateway began serving them (the reset came in the same read as
   * the request). A client that cancels does so after its request was taken; one that resets streams as
   * it opens them is flooding, and each such stream still costs Node's HTTP/2 bookkeeping, so the budget
   * is lower.
   */
  maxUnservedStreamResetsPerSecond: number;
}

export const defaultConnectionLimits: ConnectionLimits = {
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 60_000,
  keepAliveTimeoutMs: 5_000,
  idleTimeoutMs: 60_000,
  maxConcurrentStreams: 1_000,
  maxHeaderBytes: 16 * 1024,
  maxStreamResetsPerSecond: 200,
  maxUnservedStreamResetsPerSecond: 50,
};
