/** WatchHealth through the GatewayService and its interceptors, over connect's in-memory transport. */
import { Code, ConnectError, createClient, createRouterTransport } from "@connectrpc/connect";
import { describe, expect, it } from "vitest";
import { ErrorInfoSchema } from "../../gen/google/rpc/error_details_pb.js";
import { GatewayService, SharedState } from "../../gen/modelgate/v1/gateway_service_pb.js";
import { BreakerState } from "../../gen/modelgate/v1/models_pb.js";
import { RoutingStrategy } from "../../gen/modelgate/v1/routing_pb.js";
import { createFakeEngine } from "../../test/server/fake-engine.js";
import { serverSchema } from "../config/schema.js";
import { createFallbackLog } from "../dashboard/fallback-log.js";
import { createHealthMonitor, type HealthMonitor } from "../dashboard/health-monitor.js";
import { statsView } from "../dashboard/testing-stats.js";
import { createLogger } from "../observability/logger.js";
import { createGatewayInterceptors } from "./gateway-interceptors.js";
import { createGatewayServiceImpl } from "./gateway-service.js";

function setup(options: { defaultDeadlineMs?: number; maxWatchers?: number; draining?: () => boolean } = {}) {
  const engine = createFakeEngine();
  let attempts = 0;
  const statsEngine = {
    deploymentStats: async () => [statsView("gpt", { attempts: (attempts += 5), breakerState: "open", breakerRetryAtUnixMs: 1_700_000_000_000 })],
  };
  const fallbacks = createFallbackLog();
  fallbacks.record({ timeUnixMs: 1_000, requestedModel: "chat", fromDeployment: "gpt", toDeployment: "claude", reason: "PROVIDER_UNAVAILABLE" });
  const monitor: HealthMonitor = createHealthMonitor({
    engine: statsEngine,
    intervalMs: 20,
    maxWatchers: options.maxWatchers ?? 4,
    fallbacks,
    aliases: () => [
      {
        alias: "chat",
        strategy: "weighted",
        tiers: [[{ deployment: "gpt", weight: 9, share: 0.9 }, { deployment: "claude", weight: 1, share: 0.1 }]],
        shadow: { deployment: "gemini", share: 0.25 },
      },
    ],
  });
  const logger = createLogger({ level: "silent" });
  const config = serverSchema.parse({ defaultDeadlineMs: options.defaultDeadlineMs ?? 30_000 });
  const transport = createRouterTransport((router) =>
    router.service(GatewayService, createGatewayServiceImpl(engine, { config, logger, healthMonitor: monitor, isDraining: options.draining }), {
      interceptors: createGatewayInterceptors({ config, logger }),
    }),
  );
  return { client: createClient(GatewayService, transport), monitor };
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

describe("WatchHealth", () => {
  it("streams snapshots with breaker state, rates, splits and recent fallbacks", async () => {
    const { client } = setup();
    const abort = new AbortController();
    const received = [];
    for await (const response of client.watchHealth({}, { signal: abort.signal })) {
      received.push(response);
      if (received.length === 2) break;
    }
    const [first, second] = received;
    expect(first.sharedState).toBe(SharedState.MEMORY);
    expect(first.deployments[0].stats?.deployment).toBe("gpt");
    expect(first.deployments[0].stats?.breakerState).toBe(BreakerState.OPEN);
    expect(first.deployments[0].attemptsPerSecond).toBeUndefined();
    expect(second.deployments[0].attemptsPerSecond).toBeGreaterThan(0);
    expect(second.timeUnixMs).toBeGreaterThan(first.timeUnixMs);
    expect(first.aliases[0]).toMatchObject({ alias: "chat", strategy: RoutingStrategy.WEIGHTED, shadowDeployment: "gemini", shadowShare: 0.25 });
    expect(first.aliases[0].tiers[0].deployments.map((entry) => entry.share)).toEqual([0.9, 0.1]);
    expect(first.recentFallbacks[0]).toMatchObject({ fromDeployment: "gpt", toDeployment: "claude", reason: "PROVIDER_UNAVAILABLE", requestedModel: "chat" });
  });

  it("stops watching on the server when the client cancels", async () => {
    const { client, monitor } = setup();
    const abort = new AbortController();
    const reading = (async () => {
      for await (const _ of client.watchHealth({}, { signal: abort.signal })) {
        expect(monitor.watchers()).toBe(1);
        abort.abort();
      }
    })();
    await expect(reading).rejects.toSatisfy((error) => ConnectError.from(error).code === Code.Canceled);
    for (let wait = 0; wait < 50 && monitor.watchers() > 0; wait++) await sleep(10);
    expect(monitor.watchers()).toBe(0);
  });

  it("ends with OK before the call's deadline, so a client simply watches again", async () => {
    const { client, monitor } = setup({ defaultDeadlineMs: 1_300 });
    const started = Date.now();
    let count = 0;
    for await (const _ of client.watchHealth({})) count++;
    const elapsed = Date.now() - started;
    expect(elapsed).toBeGreaterThanOrEqual(250);
    expect(elapsed).toBeLessThan(1_200);
    expect(count).toBeGreaterThan(3);
    expect(monitor.watchers()).toBe(0);
  });

  it("refuses watchers over the cap with RESOURCE_EXHAUSTED and RATE_LIMITED", async () => {
    const { client } = setup({ maxWatchers: 1 });
    const abort = new AbortController();
    const first = client.watchHealth({}, { signal: abort.signal })[Symbol.asyncIterator]();
    await first.next();
    const error = await (async () => {
      for await (const _ of client.watchHealth({})) return undefined;
    })().catch((reason: unknown) => ConnectError.from(reason));
    abort.abort();
    expect(error).toBeInstanceOf(ConnectError);
    expect((error as ConnectError).code).toBe(Code.ResourceExhausted);
    expect((error as ConnectError).findDetails(ErrorInfoSchema)[0].reason).toBe("RATE_LIMITED");
  });

  it("ends the stream once the server starts draining", async () => {
    let draining = false;
    const { client } = setup({ draining: () => draining });
    let count = 0;
    for await (const _ of client.watchHealth({})) {
      count++;
      if (count === 2) draining = true;
    }
    expect(count).toBe(2);
  });
});
