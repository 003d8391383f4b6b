/**
 * Model names a caller may use: an alias (its tiers), a deployment name (that deployment alone), or
 * "provider/vendor-model" (an ad-hoc deployment) through a configured provider that allows any model
 * (`allowAnyModel`). Anything else is UNKNOWN_MODEL.
 */
import { GatewayError } from "../gateway/types.js";
import {
  createAdHocDeployment,
  type RouteAlias,
  type RouteDeployment,
  type RouteProvider,
  type RouteTable,
} from "./route-table.js";

export interface ResolvedModel {
  alias?: RouteAlias;
  /** Deployment names by tier, before the default chain. */
  tiers: string[][];
  /** An ad-hoc deployment that is not in the table. */
  adHoc?: RouteDeployment;
}

/** "provider/vendor-model" with a configured provider, split at the first slash; undefined otherwise. */
function providerModel(model: string, table: RouteTable): { provider: RouteProvider; vendorModel: string } | undefined {
  if (table.aliases.has(model) || table.deployments.has(model)) return undefined;
  const slash = model.indexOf("/");
  if (slash <= 0 || slash === model.length - 1) return undefined;
  const provider = table.providers.get(model.slice(0, slash));
  return provider === undefined ? undefined : { provider, vendorModel: model.slice(slash + 1) };
}

export function resolveModel(model: string, table: RouteTable): ResolvedModel {
  const alias = table.aliases.get(model);
  if (alias !== undefined) return { alias, tiers: alias.tiers };
  if (table.deployments.has(model)) return { tiers: [[model]] };
  const named = providerModel(model, table);
  if (named?.provider.allowAnyModel === true) {
    const adHoc = createAdHocDeployment(table, named.provider, named.vendorModel);
    return { tiers: [[adHoc.name]], adHoc };
  }
  if (named !== undefined) {
    const provider = named.provider.name;
    // UNKNOWN_MODEL like any name the config does not serve; the message says how to serve it.
    throw new GatewayError(
      "UNKNOWN_MODEL",
      `Unknown model "${model}": provider "${provider}" serves only its configured deployments; set providers.${provider}.allowAnyModel: true to allow any "${provider}/<model>".`,
      { metadata: { model } },
    );
  }
  throw new GatewayError(
    "UNKNOWN_MODEL",
    `Unknown model "${model}": not an alias, a deployment, or "provider/model" with a configured provider.`,
    { metadata: { model } },
  );
}

/**
 * The ad-hoc deployment `model` resolves to, by name; undefined for an alias, a configured deployment,
 * or a name `resolveModel` refuses. Its name is `model` as written. Never throws: the engine asks before
 * routing starts, to keep that deployment's state while the request runs.
 */
export function adHocDeploymentName(model: string, table: RouteTable): string | undefined {
  return providerModel(model, table)?.provider.allowAnyModel === true ? model : undefined;
}
