/**
 * A map of at most `capacity` entries that forgets the least recently acquired beyond it, telling
 * `onEvict` so the owner can drop what it keeps elsewhere under the same key.
 *
 * An entry is leased while in use (`acquire` … `release`) and eviction passes over leased entries: state
 * a running request still writes is never dropped under it. So the map holds more than `capacity` only
 * while more than `capacity` entries are leased at once, and shrinks back as they are released.
 */
export class LruMap<K, V> {
  /** Oldest first: a Map iterates in insertion order, and `acquire` re-inserts. */
  private readonly entries = new Map<K, { value: V; leases: number }>();

  constructor(
    readonly capacity: number,
    private readonly onEvict: (key: K, value: V) => void,
  ) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`capacity must be a positive integer, got ${capacity}`);
  }

  /** Entries held, leased or not. */
  get size(): number {
    return this.entries.size;
  }

  /** The value under `key`, without counting as a use. */
  get(key: K): V | undefined {
    return this.entries.get(key)?.value;
  }

  /**
   * Leases the entry under `key`, creating it with `create` when absent, and makes it the most recently
   * used. Hand it back with exactly one `release(key)`.
   */
  acquire(key: K, create: () => V): V {
    let entry = this.entries.get(key);
    if (entry === undefined) {
      entry = { value: create(), leases: 0 };
    } else {
      this.entries.delete(key);
    }
    entry.leases += 1;
    this.entries.set(key, entry);
    this.evictOverCapacity();
    return entry.value;
  }

  /** Ends one lease on `key`; the entry stays, and may now be evicted. */
  release(key: K): void {
    const entry = this.entries.get(key);
    if (entry === undefined || entry.leases === 0) return;
    entry.leases -= 1;
    this.evictOverCapacity();
  }

  private evictOverCapacity(): void {
    if (this.entries.size <= this.capacity) return;
    // Deleting the entry being visited is safe while iterating a Map.
    for (const [key, entry] of this.entries) {
      if (this.entries.size <= this.capacity) return;
      if (entry.leases > 0) continue;
      this.entries.delete(key);
      this.onEvict(key, entry.value);
    }
  }
}
