/**
 * The routing engine the server calls: builds the route table, adapters, breakers, stats, retry
 * budget and shadow runner once, then runs each request through plan → execute.
 *
 * State per deployment (a breaker, stats in the store) is bounded: configured deployments keep theirs
 * for the engine's life; ad-hoc "provider/model" deployments (providers with `allowAnyModel`) keep
 * theirs while a request uses them and among the `routing.maxAdHocDeployments` most recently used,
 * and an evicted one's state is deleted. A caller choosing new names cannot grow memory.
 *
 * Arrow note: `routing/` knows providers only through `providers/spec.ts` and `providers/registry.ts`.
 * When the caller does not inject adapters, the engine builds them with the registry's `create`, which
 * loads each vendor's code on first use, so tests with fake adapters never load the vendors.
 */
import type { Logger } from "pino";
import type { GatewayConfig, ProviderConfig } from "../config/schema.js";
import type {
  CallContext,
  CompletionEngine,
  DeploymentStatsView,
  GatewayEvent,
  GatewayRequest,
  GatewayResult,
  ModelCatalog,
} from "../gateway/types.js";
import { providerEntry } from "../providers/registry.js";
import type { ProviderAdapter, ProviderSettings } from "../providers/spec.js";
import { createCircuitBreaker, type CircuitBreaker } from "../resilience/circuit-breaker.js";
import { systemClock, type Clock } from "../resilience/clock.js";
import { createRetryBudget } from "../resilience/retry-budget.js";
import { LruMap } from "../state/lru-map.js";
import { createMemoryStore } from "../state/memory-store.js";
import type { StateStore } from "../state/state-store.js";
import { createDeploymentStats } from "../stats/deployment-stats.js";
import type { EngineRuntime } from "./engine-runtime.js";
import { executeComplete } from "./execute-complete.js";
import { executeStream } from "./execute-stream.js";
import { adHocDeploymentName } from "./resolve-model.js";
import { createRouteTable, type RouteTable } from "./route-table.js";
import { createShadowRunner } from "./shadow.js";

export interface GatewayEngineDeps {
  logger: Logger;
  /** Defaults to the system clock. */
  clock?: Clock;
  /** Defaults to Math.random. */
  random?: () => number;
  /** By provider name; default: the registry's `create(settings)` for each enabled provider. */
  adapters?: Map<string, ProviderAdapter>;
  /** Defaults to an in-memory store. */
  store?: StateStore;
}

export interface GatewayEngine extends CompletionEngine {
  /**
   * Ad-hoc deployments whose state is kept now: at most `routing.maxAdHocDeployments`, more only while
   * more than that are in use at once.
   */
  adHocDeploymentCount(): number;
}

function providerSettings(name: string, provider: ProviderConfig): ProviderSettings | undefined {
  const baseUrl = provider.baseUrl ?? providerEntry(provider.kind).defaultBaseUrl;
  if (baseUrl === undefined) return undefined;
  return {
    name,
    kind: provider.kind,
    baseUrl,
    apiKey: provider.apiKey,
    headers: provider.headers,
    maxConnections: provider.maxConnections,
    maxQueued: provider.maxQueued,
    azureApiVersion: provider.azureApiVersion,
    limits: provider.limits,
  };
}

async function defaultAdapters(config: GatewayConfig, routes: RouteTable, logger: Logger): Promise<Map<string, ProviderAdapter>> {
  const adapters = new Map<string, ProviderAdapter>();
  for (const [name, provider] of Object.entries(config.providers)) {
    if (routes.providers.get(name)?.disabled !== undefined) continue;
    const settings = providerSettings(name, provider);
    if (settings === undefined) {
      logger.warn({ provider: name, kind: provider.kind }, "provider has no baseUrl; its deployments will fail");
      continue;
    }
    adapters.set(name, await providerEntry(settings.kind).create(settings));
  }
  return adapters;
}

/** A provider with no adapter (none injected, or no base URL) cannot serve: disable it like a missing key. */
function markProvidersWithoutAdapter(routes: RouteTable, adapters: ReadonlyMap<string, ProviderAdapter>): void {
  for (const provider of routes.providers.values()) {
    if (provider.disabled === undefined && !adapters.has(provider.name)) {
      provider.disabled = `provider "${provider.name}" has no adapter`;
    }
  }
  for (const deployment of routes.deployments.values()) {
    const provider = routes.providers.get(deployment.provider);
    if (deployment.disabled === undefined && provider?.disabled !== undefined) deployment.disabled = provider.disabled;
  }
}

function catalog(routes: RouteTable): ModelCatalog {
  return {
    aliases: [...routes.aliases.values()].map((a) => ({ name: a.name, strategy: a.strategy, tiers: a.tiers })),
    deployments: [...routes.deployments.values()].map((d) => ({
      name: d.name,
      provider: d.provider,
      providerKind: d.providerKind,
      vendorModel: d.vendorModel,
      contextWindow: d.contextWindow,
      price:
        d.price === undefined
          ? undefined
          : {
              inputNanoUsd: d.price.inputNanoUsd,
              cachedInputNanoUsd: d.price.cachedInputNanoUsd,
              outputNanoUsd: d.price.outputNanoUsd,
              asOf: d.price.asOf,
            },
      capabilities: { ...d.capabilities },
    })),
  };
}

/**
 * Creates the engine. Providers of a kind that needs a key (the registry's `needsKey`) with an empty
 * `apiKey` have their deployments disabled, with one warning per provider.
 */
export async function createGatewayEngine(config: GatewayConfig, deps: GatewayEngineDeps): Promise<GatewayEngine> {
  const logger = deps.logger;
  const clock = deps.clock ?? systemClock;
  const random = deps.random ?? Math.random;
  const store = deps.store ?? createMemoryStore();
  const routes = createRouteTable(config, logger);
  const adapters = deps.adapters ?? (await defaultAdapters(config, routes, logger));
  markProvidersWithoutAdapter(routes, adapters);
  const stats = createDeploymentStats({ store, now: () => clock.now(), windowMs: config.routing.breaker.windowMs });
  const newBreaker = (deployment: string): CircuitBreaker =>
    createCircuitBreaker({ key: deployment, config: config.routing.breaker, store, clock, logger });
  const configured = new Map([...routes.deployments.keys()].map((name) => [name, newBreaker(name)]));
  // Deleting is not awaited: a name used again meanwhile may lose what it just recorded, that is, start
  // afresh, as a new ad-hoc deployment does anyway.
  const adHoc = new LruMap<string, CircuitBreaker>(config.routing.maxAdHocDeployments, (name, breaker) => {
    Promise.all([breaker.forget(), stats.forget(name)]).catch((error: unknown) =>
      logger.warn({ deployment: name, err: error }, "could not delete an evicted ad-hoc deployment's state"),
    );
  });
  // Any other name (one a caller asks `deploymentStats` about, an unknown name in a tier) gets a breaker
  // that is not kept: it is only read, and reading creates no state.
  const breakerFor = (deployment: string): CircuitBreaker =>
    configured.get(deployment) ?? adHoc.get(deployment) ?? newBreaker(deployment);
  const runtime: EngineRuntime = {
    routes,
    adapters,
    retry: config.routing.retry,
    clock,
    random,
    logger,
    breakerFor,
    stats,
    budget: createRetryBudget({
      ratio: config.routing.retry.budgetRatio,
      minRetries: config.routing.retry.budgetMinRetries,
      clock,
    }),
    shadow: createShadowRunner({ routes, adapters, clock, random, logger, stats }),
  };
  const models = catalog(routes);

  /** Runs a request for the ad-hoc deployment `name`, its state kept until the request ends. */
  async function completeAdHoc(name: string, request: GatewayRequest, context: CallContext): Promise<GatewayResult> {
    adHoc.acquire(name, () => newBreaker(name));
    try {
      return await executeComplete(runtime, request, context);
    } finally {
      adHoc.release(name);
    }
  }
  /** The same for a stream: kept from its first read until it ends or the reader stops. */
  async function* streamAdHoc(name: string, request: GatewayRequest, context: CallContext): AsyncGenerator<GatewayEvent, void, undefined> {
    adHoc.acquire(name, () => newBreaker(name));
    try {
      yield* executeStream(runtime, request, context);
    } finally {
      adHoc.release(name);
    }
  }

  return {
    complete(request, context) {
      const name = adHocDeploymentName(request.model, routes);
      return name === undefined ? executeComplete(runtime, request, context) : completeAdHoc(name, request, context);
    },
    stream(request, context) {
      const name = adHocDeploymentName(request.model, routes);
      return name === undefined ? executeStream(runtime, request, context) : streamAdHoc(name, request, context);
    },
    listModels: () => models,
    adHocDeploymentCount: () => adHoc.size,
    async deploymentStats(names): Promise<DeploymentStatsView[]> {
      const wanted = names.length > 0 ? names : [...routes.deployments.keys()];
      return Promise.all(
        wanted.map(async (name) => {
          const [view, breaker] = await Promise.all([stats.view(name), breakerFor(name).view()]);
          return { ...view, breakerState: breaker.state, breakerRetryAtUnixMs: breaker.retryAt };
        }),
      );
    },
    async close() {
      await runtime.shadow.close();
      if (deps.adapters === undefined) await Promise.all([...adapters.values()].map((a) => a.close()));
      if (deps.store === undefined) await store.close();
    },
  };
}
