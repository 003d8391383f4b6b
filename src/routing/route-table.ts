/**
 * The route table: the config's providers, deployments and aliases resolved once at start into what
 * `plan()` needs — merged timeouts, effective prices, disabled providers — so planning a request is
 * pure lookups.
 */
import type { Logger } from "pino";
import type { AliasConfig, GatewayConfig, TimeoutsConfig } from "../config/schema.js";
import type { RoutingStrategy } from "../gateway/types.js";
import { providerEntry } from "../providers/registry.js";
import type { ProviderKind } from "../providers/spec.js";
import { lookupPrice } from "../cost/price-table.js";
import type { PriceForCost } from "../cost/compute-cost.js";

/** A price as routing uses it, with its provenance date. */
export interface RoutePrice extends PriceForCost {
  asOf: string;
}

export interface RouteCapabilities {
  tools: boolean;
  images: boolean;
  jsonSchema: boolean;
  assistantPrefix: boolean;
}

/** One vendor model through one provider, ready to call. */
export interface RouteDeployment {
  name: string;
  provider: string;
  providerKind: ProviderKind;
  vendorModel: string;
  contextWindow: number;
  maxOutputTokens?: number;
  /** Undefined when neither the config nor the price table knows the model. */
  price?: RoutePrice;
  capabilities: RouteCapabilities;
  weight: number;
  /** routing.timeouts ← provider.timeouts ← deployment.timeouts. */
  timeouts: TimeoutsConfig;
  /** Why the deployment cannot be used (e.g. its provider has no API key); undefined when usable. */
  disabled?: string;
  /** Built from a "provider/vendor-model" request rather than the config. */
  adHoc: boolean;
}

export interface RouteAlias {
  name: string;
  strategy: RoutingStrategy;
  tiers: string[][];
  weights?: Record<string, number>;
  latencySloMs?: number;
  fallbackOnContentFilter: boolean;
  shadow?: { deployment: string; share: number };
}

export interface RouteProvider {
  name: string;
  kind: ProviderKind;
  timeouts: TimeoutsConfig;
  disabled?: string;
  /** Callers may name any of its models as "<provider>/<model>". */
  allowAnyModel: boolean;
}

export interface RouteTable {
  providers: ReadonlyMap<string, RouteProvider>;
  deployments: ReadonlyMap<string, RouteDeployment>;
  aliases: ReadonlyMap<string, RouteAlias>;
  defaultChain: readonly string[];
  /** Default context window for ad-hoc deployments (the schema's default). */
  defaultContextWindow: number;
}

/** The schema's default context window, reused for ad-hoc deployments. */
export const DEFAULT_CONTEXT_WINDOW = 128_000;

const defaultCapabilities: RouteCapabilities = { tools: true, images: false, jsonSchema: false, assistantPrefix: false };

function aliasRoute(name: string, alias: AliasConfig): RouteAlias {
  return {
    name,
    strategy: alias.strategy,
    tiers: alias.tiers,
    weights: alias.weights,
    latencySloMs: alias.latencySloMs,
    fallbackOnContentFilter: alias.fallbackOnContentFilter,
    shadow: alias.shadow,
  };
}

/**
 * Builds the table. Providers whose kind needs a key and whose `apiKey` is empty are disabled with one
 * warning each, naming the deployments that go with them.
 */
export function createRouteTable(config: GatewayConfig, logger: Logger): RouteTable {
  const providers = new Map<string, RouteProvider>();
  for (const [name, provider] of Object.entries(config.providers)) {
    const missingKey = providerEntry(provider.kind).needsKey && (provider.apiKey ?? "").trim() === "";
    providers.set(name, {
      name,
      kind: provider.kind,
      timeouts: { ...config.routing.timeouts, ...provider.timeouts },
      disabled: missingKey ? `provider "${name}" has no API key` : undefined,
      allowAnyModel: provider.allowAnyModel,
    });
  }

  const deployments = new Map<string, RouteDeployment>();
  for (const [name, deployment] of Object.entries(config.deployments)) {
    const provider = providers.get(deployment.provider);
    const tablePrice = lookupPrice(deployment.model);
    deployments.set(name, {
      name,
      provider: deployment.provider,
      providerKind: provider?.kind ?? "openai-compatible",
      vendorModel: deployment.model,
      contextWindow: deployment.contextWindow,
      maxOutputTokens: deployment.maxOutputTokens,
      price: deployment.price
        ? { ...deployment.price, cachedInputNanoUsd: deployment.price.cachedInputNanoUsd ?? deployment.price.inputNanoUsd }
        : tablePrice,
      capabilities: deployment.capabilities,
      weight: deployment.weight,
      timeouts: { ...(provider?.timeouts ?? config.routing.timeouts), ...deployment.timeouts },
      disabled: provider === undefined ? `unknown provider "${deployment.provider}"` : provider.disabled,
      adHoc: false,
    });
  }

  for (const provider of providers.values()) {
    if (provider.disabled === undefined) continue;
    const affected = [...deployments.values()].filter((d) => d.provider === provider.name).map((d) => d.name);
    logger.warn(
      { provider: provider.name, kind: provider.kind, deployments: affected },
      `provider disabled: empty API key; its deployments will not be routed to`,
    );
  }

  const aliases = new Map<string, RouteAlias>();
  for (const [name, alias] of Object.entries(config.aliases)) aliases.set(name, aliasRoute(name, alias));

  return {
    providers,
    deployments,
    aliases,
    defaultChain: config.routing.defaultChain,
    defaultContextWindow: DEFAULT_CONTEXT_WINDOW,
  };
}

/**
 * A deployment for a "provider/vendor-model" request: the schema's default context window and
 * capabilities, priced only when the price table knows the model.
 */
export function createAdHocDeployment(table: RouteTable, provider: RouteProvider, vendorModel: string): RouteDeployment {
  return {
    name: `${provider.name}/${vendorModel}`,
    provider: provider.name,
    providerKind: provider.kind,
    vendorModel,
    contextWindow: table.defaultContextWindow,
    price: lookupPrice(vendorModel),
    capabilities: defaultCapabilities,
    weight: 1,
    timeouts: provider.timeouts,
    disabled: provider.disabled,
    adHoc: true,
  };
}
