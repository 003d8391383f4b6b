/**
 * Model names a caller may use: an alias (its tiers), a deployment name (that deployment alone), or
 * "provider/vendor-model" (an ad-hoc deployment through a configured provider). Anything else is
 * UNKNOWN_MODEL.
 */
import { GatewayError } from "../gateway/types.js";
import { createAdHocDeployment, type RouteAlias, type RouteDeployment, type RouteTable } from "./route-table.js";

export interface ResolvedModel {
  alias?: RouteAlias;
  /** Deployment names by tier, before the default chain. */
  tiers: string[][];
  /** An ad-hoc deployment that is not in the table. */
  adHoc?: RouteDeployment;
}

export function resolveModel(model: string, table: RouteTable): ResolvedModel {
  const alias = table.aliases.get(model);
  if (alias !== undefined) return { alias, tiers: alias.tiers };
  if (table.deployments.has(model)) return { tiers: [[model]] };
  const slash = model.indexOf("/");
  if (slash > 0 && slash < model.length - 1) {
    const provider = table.providers.get(model.slice(0, slash));
    if (provider !== undefined) {
      const adHoc = createAdHocDeployment(table, provider, model.slice(slash + 1));
      return { tiers: [[adHoc.name]], adHoc };
    }
  }
  throw new GatewayError(
    "UNKNOWN_MODEL",
    `Unknown model "${model}": not an alias, a deployment, or "provider/model" with a configured provider.`,
    { metadata: { model } },
  );
}
