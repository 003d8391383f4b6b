/**
 * Local copies of shared values for the request path: a read returns the copy at once and, when it is
 * older than `maxAgeMs`, starts one background re-read. Only a value never read before waits for
 * Redis. Bounded: past `maxEntries` the oldest entry goes.
 */
interface Entry<T> {
  value: T;
  readAt: number;
  refreshing: boolean;
}

export class StaleWhileRevalidate<T> {
  private readonly entries = new Map<string, Entry<T>>();

  constructor(
    private readonly options: { maxAgeMs: number; maxEntries: number; now: () => number; onError: (error: unknown) => void },
  ) {}

  /** The copy of `key`, fetching it with `fetch` when there is none. Rejects only when that first fetch does. */
  async read(key: string, fetch: () => Promise<T>): Promise<T> {
    const entry = this.entries.get(key);
    if (entry === undefined) {
      const value = await fetch();
      this.set(key, value);
      return value;
    }
    if (!entry.refreshing && this.options.now() - entry.readAt >= this.options.maxAgeMs) {
      entry.refreshing = true;
      fetch().then(
        (value) => this.set(key, value),
        (error: unknown) => {
          entry.refreshing = false;
          this.options.onError(error);
        },
      );
    }
    return entry.value;
  }

  /** The copy of `key` as it is, without re-reading; undefined when there is none. */
  peek(key: string): T | undefined {
    return this.entries.get(key)?.value;
  }

  /** Replaces the copy (a write that returned the fresh value). */
  set(key: string, value: T): void {
    if (!this.entries.has(key) && this.entries.size >= this.options.maxEntries) {
      const oldest = this.entries.keys().next().value;
      if (oldest !== undefined) this.entries.delete(oldest);
    }
    this.entries.delete(key);
    this.entries.set(key, { value, readAt: this.options.now(), refreshing: false });
  }

  delete(key: string): void {
    this.entries.delete(key);
  }

  clear(): void {
    this.entries.clear();
  }
}
