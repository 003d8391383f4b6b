/**
 * A sliding log of timestamped events (each optionally flagged, e.g. "failed"), kept in a ring of typed
 * arrays: push at the back, prune from the front, count what is left, all O(1) amortised, and no
 * allocation once the ring has grown to the busiest window it has seen.
 *
 * Why not a plain array with `push` and `splice`: at a thousand requests per second a 30 s window holds
 * tens of thousands of events, and every regrowth or compaction of such an array allocates a new
 * backing store that outlives the next young-generation GC, lengthening every pause under load. A ring
 * reuses its memory.
 *
 * Timestamps must be pushed in non-decreasing order (they come from one clock); pruning relies on it.
 */
export class TimestampRing {
  private times: Float64Array;
  private flags: Uint8Array;
  /** Index of the oldest event. */
  private head = 0;
  private size = 0;
  private flagged = 0;

  constructor(initialCapacity = 64) {
    this.times = new Float64Array(initialCapacity);
    this.flags = new Uint8Array(initialCapacity);
  }

  /** Events held. */
  get length(): number {
    return this.size;
  }

  /** Flagged events held. */
  get flaggedCount(): number {
    return this.flagged;
  }

  /** Memory held, in events (for tests: it stops growing once the window is full). */
  get capacity(): number {
    return this.times.length;
  }

  push(at: number, flagged = false): void {
    if (this.size === this.times.length) this.grow();
    const index = (this.head + this.size) % this.times.length;
    this.times[index] = at;
    this.flags[index] = flagged ? 1 : 0;
    this.size += 1;
    if (flagged) this.flagged += 1;
  }

  /** Drops every event at or before `from`. */
  pruneThrough(from: number): void {
    this.drop(from, true);
  }

  /** Drops every event strictly before `from`. */
  pruneBefore(from: number): void {
    this.drop(from, false);
  }

  clear(): void {
    this.head = 0;
    this.size = 0;
    this.flagged = 0;
  }

  private drop(from: number, inclusive: boolean): void {
    const capacity = this.times.length;
    while (this.size > 0 && (inclusive ? this.times[this.head] <= from : this.times[this.head] < from)) {
      if (this.flags[this.head] === 1) this.flagged -= 1;
      this.head = (this.head + 1) % capacity;
      this.size -= 1;
    }
    if (this.size === 0) this.head = 0;
  }

  /** Doubles the ring, unrolling it so the oldest event is at index 0. */
  private grow(): void {
    const capacity = this.times.length;
    const times = new Float64Array(capacity * 2);
    const flags = new Uint8Array(capacity * 2);
    for (let offset = 0; offset < this.size; offset += 1) {
      const index = (this.head + offset) % capacity;
      times[offset] = this.times[index];
      flags[offset] = this.flags[index];
    }
    this.times = times;
    this.flags = flags;
    this.head = 0;
  }
}
