/**
 * A provider's pool when its config says nothing. HTTP/1.1 carries one call at a time per connection, so
 * `maxConnections` is how many calls (long streams, mostly) may be in flight to one provider at once: far
 * more than a vendor's usual rate limits, so the gateway's own pool is not what turns load away (64 made
 * 1,000 concurrent 2 s streams wait up to 30 s; see docs/benchmarks.md, "Many streams"). Connections are
 * opened on demand and closed after 30 s idle, so a large bound costs nothing until it is used; what it
 * holds in use is file descriptors (one per call, beside the caller's own). `maxQueued` bounds the calls
 * that wait beyond that; past it a call is shed at once rather than left to wait out its deadline.
 */
export const defaultPoolLimits = Object.freeze({ maxConnections: 8_192, maxQueued: 1_024 });
