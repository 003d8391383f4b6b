/**
 * The shared-state writes that decide nothing, gathered between two flushes: counter increments (summed
 * per counter), latency samples (per series, the newest `maxSamples`, since the shared series keeps no
 * more), and successful outcomes (counted per window). The Redis store sends them every flush as one
 * command per key, so a busy replica costs Redis a few commands per flush, not several per request.
 * Bounded by the keys written within one flush interval.
 */
export interface PendingSuccesses {
  /** The newest success's time: the bucket they are counted in (the window is exact to a bucket). */
  at: number;
  windowMs: number;
  count: number;
}

export interface DrainedWrites {
  counters: Map<string, number>;
  samples: Map<string, number[]>;
  successes: Map<string, PendingSuccesses>;
}

export class PendingWrites {
  private counters = new Map<string, number>();
  private samples = new Map<string, number[]>();
  private successes = new Map<string, PendingSuccesses>();

  constructor(private readonly maxSamples: number) {}

  get empty(): boolean {
    return this.counters.size === 0 && this.samples.size === 0 && this.successes.size === 0;
  }

  addToCounter(name: string, by: number): void {
    this.counters.set(name, (this.counters.get(name) ?? 0) + by);
  }

  addSample(series: string, ms: number): void {
    let samples = this.samples.get(series);
    if (samples === undefined) {
      samples = [];
      this.samples.set(series, samples);
    }
    if (samples.length === this.maxSamples) samples.shift();
    samples.push(ms);
  }

  addSuccess(window: string, at: number, windowMs: number): void {
    const pending = this.successes.get(window);
    if (pending === undefined) this.successes.set(window, { at, windowMs, count: 1 });
    else {
      pending.at = Math.max(pending.at, at);
      pending.count += 1;
    }
  }

  /** Removes and returns the successes pending for `window` (a failure's write carries them along). */
  takeSuccesses(window: string): number {
    const count = this.successes.get(window)?.count ?? 0;
    this.successes.delete(window);
    return count;
  }

  /** Everything pending, emptied. */
  drain(): DrainedWrites {
    const drained = { counters: this.counters, samples: this.samples, successes: this.successes };
    this.counters = new Map();
    this.samples = new Map();
    this.successes = new Map();
    return drained;
  }
}
