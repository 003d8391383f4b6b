/**
 * How each alias shares its traffic, read from the config: the weight of every deployment in every
 * tier (the alias's override, else the deployment's own) with its share of the tier, and the shadow.
 * The engine's catalog names the tiers but not the weights, so the dashboard reads the config the
 * engine was built from.
 */
import type { GatewayConfig } from "../config/schema.js";
import type { RoutingStrategy } from "../gateway/types.js";

export interface DeploymentWeightView {
  deployment: string;
  weight: number;
  /** 0 to 1; 0 when every weight in the tier is 0. */
  share: number;
}

export interface AliasSplitView {
  alias: string;
  strategy: RoutingStrategy;
  tiers: DeploymentWeightView[][];
  shadow?: { deployment: string; share: number };
}

/** Every alias's split, sorted by alias. */
export function aliasSplits(config: Pick<GatewayConfig, "aliases" | "deployments">): AliasSplitView[] {
  return Object.entries(config.aliases)
    .sort(([left], [right]) => left.localeCompare(right))
    .map(([alias, route]) => ({
      alias,
      strategy: route.strategy,
      tiers: route.tiers.map((tier) => {
        const weights = tier.map((deployment) => route.weights?.[deployment] ?? config.deployments[deployment]?.weight ?? 1);
        const total = weights.reduce((sum, weight) => sum + weight, 0);
        return tier.map((deployment, index) => ({ deployment, weight: weights[index], share: total === 0 ? 0 : weights[index] / total }));
      }),
      shadow: route.shadow === undefined ? undefined : { ...route.shadow },
    }));
}
