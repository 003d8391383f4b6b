/**
 * Deployments their vendor asked us to leave alone. A rate limit or an outage with a Retry-After cools
 * the deployment down until then for every request of the engine, so the next request goes straight
 * to another deployment instead of paying for the same refusal. Passing over a cooling deployment is
 * not a failure: it touches neither its breaker nor its stats.
 *
 * In process, one table per engine runtime (the shared `StateStore` has no record for it yet), and
 * bounded: callers can name ad-hoc "provider/model" deployments, so at most `MAX_COOLDOWNS` entries;
 * when full, ended cooldowns go first, then the one ending soonest.
 */
import type { ErrorReason } from "../gateway/types.js";
import type { EngineRuntime } from "./engine-runtime.js";

/** Entries one engine keeps at most. */
export const MAX_COOLDOWNS = 1_024;

export interface Cooldown {
  /** When the deployment may be called again (engine clock). */
  until: number;
  /** The reason of the failure that started it: PROVIDER_RATE_LIMITED or PROVIDER_UNAVAILABLE. */
  reason: ErrorReason;
}

export interface DeploymentCooldowns {
  /** Cools `deployment` down; an earlier end than the one already set is ignored. */
  coolDown(deployment: string, cooldown: Cooldown, now: number): void;
  /** The deployment's cooldown if it has not ended at `now`. */
  activeAt(deployment: string, now: number): Cooldown | undefined;
  /** Entries held, ended ones included until they are swept. */
  readonly size: number;
}

export function createDeploymentCooldowns(maxEntries = MAX_COOLDOWNS): DeploymentCooldowns {
  const entries = new Map<string, Cooldown>();

  /** One pass: drops every ended cooldown, and the one ending soonest if none had ended. */
  const makeRoom = (now: number): void => {
    let soonest: string | undefined;
    let soonestUntil = Number.POSITIVE_INFINITY;
    for (const [deployment, cooldown] of entries) {
      if (cooldown.until <= now) entries.delete(deployment);
      else if (cooldown.until < soonestUntil) {
        soonest = deployment;
        soonestUntil = cooldown.until;
      }
    }
    if (entries.size >= maxEntries && soonest !== undefined) entries.delete(soonest);
  };

  return {
    coolDown(deployment, cooldown, now) {
      const current = entries.get(deployment);
      if (current !== undefined && current.until >= cooldown.until) return;
      if (current === undefined && entries.size >= maxEntries) makeRoom(now);
      entries.set(deployment, { ...cooldown });
    },
    activeAt(deployment, now) {
      const cooldown = entries.get(deployment);
      if (cooldown === undefined) return undefined;
      if (cooldown.until > now) return cooldown;
      entries.delete(deployment);
      return undefined;
    },
    get size() {
      return entries.size;
    },
  };
}

const byRuntime = new WeakMap<EngineRuntime, DeploymentCooldowns>();

/**
 * The cooldowns every request of `runtime` shares, made on first use and dropped with the runtime.
 * Kept beside the runtime rather than in it: the attempt queue is its only reader and writer.
 */
export function cooldownsOf(runtime: EngineRuntime): DeploymentCooldowns {
  let cooldowns = byRuntime.get(runtime);
  if (cooldowns === undefined) {
    cooldowns = createDeploymentCooldowns();
    byRuntime.set(runtime, cooldowns);
  }
  return cooldowns;
}
