/**
 * A per-deployment circuit breaker: closed → open → half-open → closed (or open again).
 *
 * - Closed: trips on `consecutiveFailures` provider faults in a row, or when at least
 *   `minimumRequests` outcomes in the last `windowMs` have a failure share ≥ `failureRateThreshold`.
 * - Open: rejects until `retryAt`. The open period is `openMs × 2^(trips−1)`, capped at `maxOpenMs`,
 *   where `trips` counts trips since the breaker last closed (Envoy's growing ejection time).
 * - Half-open: admits at most `halfOpenProbes` probes; closes once that many succeeded, reopens on
 *   the first probe failure.
 *
 * Only provider faults count (`ProviderError.isProviderFault`): invalid requests, content filters,
 * context-length errors and cancellations are the caller's and leave the breaker alone (a half-open
 * probe that ends that way is handed back so another probe can go).
 *
 * State lives in a `StateStore` and changes only by compare-and-set, so replicas sharing a Redis
 * store share one breaker and one probe owner. Every transition is logged at info.
 */
import type { Logger } from "pino";
import type { BreakerConfig } from "../config/schema.js";
import type { BreakerRecord, BreakerState, StateStore } from "../state/state-store.js";
import type { Clock } from "./clock.js";

/** Proof of admission; hand it back through exactly one of `onSuccess`, `onFailure`, `onIgnored`. */
export interface BreakerPermit {
  /** Admitted as a half-open probe. */
  probe: boolean;
}

export interface BreakerView {
  state: BreakerState;
  /** Open: when probes may start. */
  retryAt?: number;
}

export interface CircuitBreaker {
  readonly key: string;
  /** Admits a call, or returns undefined when the breaker is open or its probes are taken. */
  acquire(): Promise<BreakerPermit | undefined>;
  /** The call succeeded. */
  onSuccess(permit: BreakerPermit): Promise<void>;
  /** The call failed by the provider's fault. */
  onFailure(permit: BreakerPermit): Promise<void>;
  /** The call ended in a way that says nothing about the provider (4xx, cancel). */
  onIgnored(permit: BreakerPermit): Promise<void>;
  /** The current state as stored (an open breaker past `retryAt` still reads "open" until probed). */
  view(): Promise<BreakerView>;
  /** Deletes the stored record and window: the deployment is gone (an ad-hoc deployment evicted). */
  forget(): Promise<void>;
}

export interface CircuitBreakerOptions {
  key: string;
  config: BreakerConfig;
  store: StateStore;
  clock: Clock;
  logger: Logger;
}

type Next = Omit<BreakerRecord, "version">;

/** Attempts at a compare-and-set before giving up on a contended record (the outcome is then dropped). */
const MAX_CAS_ATTEMPTS = 8;

/** The open period after the `trips`-th trip since the last close. */
export function openPeriodMs(config: BreakerConfig, trips: number): number {
  return Math.min(config.maxOpenMs, config.openMs * 2 ** Math.max(0, trips - 1));
}

/** Creates a breaker over a store record named `breaker:{<key>}`. */
export function createCircuitBreaker(options: CircuitBreakerOptions): CircuitBreaker {
  const { key, config, store, clock, logger } = options;
  const recordKey = `breaker:{${key}}`;
  const windowKey = `breaker-window:{${key}}`;

  const logTransition = (from: BreakerState, to: Next): void => {
    if (from === to.state) return;
    logger.info(
      { deployment: key, from, to: to.state, trips: to.trips, retryAt: to.retryAt },
      `circuit breaker ${from} -> ${to.state}`,
    );
  };

  /**
   * Applies `decide` to the current record with compare-and-set, retrying on contention.
   * `decide` returns undefined for "no write needed". Returns what was decided (or undefined).
   */
  const update = async <T>(
    decide: (current: BreakerRecord) => { next?: Next; result: T },
  ): Promise<T | undefined> => {
    for (let attempt = 0; attempt < MAX_CAS_ATTEMPTS; attempt += 1) {
      const current = await store.readBreaker(recordKey);
      const { next, result } = decide(current);
      if (next === undefined) return result;
      const stored = await store.compareAndSetBreaker(recordKey, current.version, next);
      if (stored !== undefined) {
        logTransition(current.state, next);
        return result;
      }
    }
    logger.warn({ deployment: key }, "circuit breaker update lost to contention");
    return undefined;
  };

  const tripped = (current: BreakerRecord, now: number): Next => {
    const trips = current.trips + 1;
    return {
      state: "open",
      retryAt: now + openPeriodMs(config, trips),
      trips,
      consecutiveFailures: 0,
      probesAdmitted: 0,
      probeSuccesses: 0,
    };
  };

  return {
    key,
    async acquire() {
      const permit = await update<BreakerPermit | undefined>((current) => {
        const now = clock.now();
        if (current.state === "closed") return { result: { probe: false } };
        if (current.state === "open") {
          if (current.retryAt !== undefined && now < current.retryAt) return { result: undefined };
          return {
            next: { ...current, state: "half-open", retryAt: undefined, probesAdmitted: 1, probeSuccesses: 0 },
            result: { probe: true },
          };
        }
        if (current.probesAdmitted >= config.halfOpenProbes) return { result: undefined };
        return { next: { ...current, probesAdmitted: current.probesAdmitted + 1 }, result: { probe: true } };
      });
      return permit ?? undefined;
    },

    async onSuccess(permit) {
      const now = clock.now();
      if (!permit.probe) {
        // Not awaited: a success cannot trip the breaker, so its count need not hold the answer up.
        void store.recordOutcome(windowKey, now, false, config.windowMs);
        await update((current) => {
          if (current.state !== "closed" || current.consecutiveFailures === 0) return { result: undefined };
          return { next: { ...current, consecutiveFailures: 0 }, result: undefined };
        });
        return;
      }
      const closed = await update((current) => {
        if (current.state !== "half-open") return { result: false };
        const successes = current.probeSuccesses + 1;
        if (successes < config.halfOpenProbes) {
          return { next: { ...current, probeSuccesses: successes }, result: false };
        }
        return {
          next: { state: "closed", trips: 0, consecutiveFailures: 0, probesAdmitted: 0, probeSuccesses: 0 },
          result: true,
        };
      });
      if (closed === true) await store.forget([windowKey]);
    },

    async onFailure(permit) {
      const now = clock.now();
      if (permit.probe) {
        await update((current) => {
          if (current.state !== "half-open") return { result: undefined };
          return { next: tripped(current, now), result: undefined };
        });
        return;
      }
      const counts = await store.recordOutcome(windowKey, now, true, config.windowMs);
      const opened = await update((current) => {
        if (current.state !== "closed") return { result: false };
        const consecutive = current.consecutiveFailures + 1;
        const byRate =
          counts.total >= config.minimumRequests && counts.failures / counts.total >= config.failureRateThreshold;
        if (consecutive >= config.consecutiveFailures || byRate) return { next: tripped(current, now), result: true };
        return { next: { ...current, consecutiveFailures: consecutive }, result: false };
      });
      if (opened === true) await store.forget([windowKey]);
    },

    async onIgnored(permit) {
      if (!permit.probe) return;
      await update((current) => {
        if (current.state !== "half-open" || current.probesAdmitted === 0) return { result: undefined };
        return { next: { ...current, probesAdmitted: current.probesAdmitted - 1 }, result: undefined };
      });
    },

    async view() {
      const current = await store.readBreaker(recordKey);
      return { state: current.state, retryAt: current.retryAt };
    },

    forget() {
      return store.forget([recordKey, windowKey]);
    },
  };
}
