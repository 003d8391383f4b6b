/**
 * The limiter shared by every replica: one Lua call admits a call (all limits of its key at once,
 * atomically, so N replicas admit exactly a key's limit between them), one more after the call settles
 * it, sent in the background. Each call is bounded by the command timeout; when Redis fails or does not
 * answer, this replica counts in its own memory (`memory-caller-limiter.ts`) until Redis answers again,
 * tried at most once a second, and logs each change once.
 */
import type { Logger } from "pino";
import type { RedisClient } from "../state/redis-connection.js";
import { defineCallerLimitScripts } from "./caller-limit-scripts.js";
import {
  BUCKET_MS,
  budgetPeriods,
  usdToMicro,
  WINDOW_BUCKETS,
  type Admission,
  type CallerLimiter,
  type LimitName,
  type LimitTicket,
} from "./caller-limiter.js";
import { createMemoryCallerLimiter } from "./memory-caller-limiter.js";
import { boundedCall } from "../state/bounded-call.js";
import { createRedisAvailability, type RedisAvailability } from "../state/redis-availability.js";

export interface RedisCallerLimiterOptions {
  commands: RedisClient;
  keyPrefix: string;
  commandTimeoutMs: number;
  logger: Logger;
  /** The process's one view of whether Redis answers (state/redis-availability.ts); its own by default. */
  availability?: RedisAvailability;
  now?: () => number;
}

const DAY_MS = 24 * 60 * 60 * 1_000;

export function createRedisCallerLimiter(options: RedisCallerLimiterOptions): CallerLimiter {
  const { keyPrefix, commandTimeoutMs, logger } = options;
  const now = options.now ?? Date.now;
  const redis = defineCallerLimitScripts(options.commands);
  const local = createMemoryCallerLimiter({ now });
  // While Redis is down (for every user of it in this process) limits are counted per replica; each
  // call that fails is counted locally either way.
  const availability = options.availability ?? createRedisAvailability({ logger, now, retryAfterMs: 1_000 });
  const failed = (error: unknown): void => availability.failed(error);
  const succeeded = (): void => availability.succeeded();
  function bounded<T>(run: () => Promise<T>): Promise<T> {
    return boundedCall(run, commandTimeoutMs);
  }
  const keysOf = (keyId: string, at: number): [string, string, string, string] => {
    const tag = `${keyPrefix}{caller:${keyId}}`;
    const periods = budgetPeriods(at);
    return [`${tag}:window`, `${tag}:spend:${periods.day}`, `${tag}:spend:${periods.month}`, `${tag}:streams`];
  };

  return {
    async admit(check): Promise<Admission> {
      if (!availability.usable()) return local.admit(check);
      const at = now();
      const { policy } = check;
      const periods = budgetPeriods(at);
      try {
        const answer = await bounded(() =>
          redis.mgCallerAdmit(
            ...keysOf(check.keyId, at),
            at,
            BUCKET_MS,
            WINDOW_BUCKETS,
            policy.requestsPerMinute ?? 0,
            policy.tokensPerMinute ?? 0,
            check.tokens,
            usdToMicro(policy.dailyBudgetUsd),
            usdToMicro(policy.monthlyBudgetUsd),
            policy.maxConcurrentStreams ?? 0,
            check.streamLease ?? "",
            check.leaseUntil,
            periods.dayEndsInMs,
            periods.monthEndsInMs,
          ),
        );
        succeeded();
        if (answer[0] === 1) {
          const ticket: LimitTicket = {
            keyId: check.keyId,
            bucket: Number(answer[1]),
            tokens: policy.tokensPerMinute === undefined ? 0 : check.tokens,
            streamLease: policy.maxConcurrentStreams === undefined ? undefined : check.streamLease,
            counted: "shared",
          };
          return { admitted: true, ticket };
        }
        return { admitted: false, limit: String(answer[1]) as LimitName, retryAfterMs: Number(answer[2]) };
      } catch (error) {
        failed(error);
        return local.admit(check);
      }
    },
    settle(ticket, used) {
      if (ticket.counted === "local") return local.settle(ticket, used);
      const delta = used.tokens === undefined || ticket.tokens === 0 ? 0 : used.tokens - ticket.tokens;
      const cost = Math.max(0, Math.round(used.costMicroUsd ?? 0));
      if (delta === 0 && cost === 0 && ticket.streamLease === undefined) return;
      const at = now();
      // Sent once this turn of the event loop is over, so the call's answer goes out first.
      new Promise((resolve) => setImmediate(resolve))
        .then(() =>
          bounded(() =>
            redis.mgCallerSettle(...keysOf(ticket.keyId, at), ticket.bucket, delta, cost, ticket.streamLease ?? "", 2 * DAY_MS, 32 * DAY_MS),
          ),
        )
        .then(succeeded, (error: unknown) => {
          // The lease lapses on its own at the call's deadline; the spend is counted only locally.
          failed(error);
          local.settle({ ...ticket, counted: "local" }, used);
        });
    },
    async close() {},
  };
}
