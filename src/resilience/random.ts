/**
 * Seeded randomness. Routing takes a `() => number` in [0, 1) so that weighted choice, exploration
 * and jitter are reproducible in tests; production passes `Math.random`.
 */

/**
 * Mulberry32: a tiny, fast 32-bit generator with good enough spread for load balancing and jitter.
 * Not for anything secret.
 */
export function createSeededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}
