/**
 * Load on the gateway is not the vendor's fault (issue 15, item 4): over a real loopback upstream, calls
 * that wait for one of the pool's connections neither time out against the vendor's limits nor count
 * against its breaker, and a full queue sheds with the gateway's own RATE_LIMITED.
 */
import http from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { status as GrpcStatus } from "@grpc/grpc-js";
import { BreakerState } from "../../gen/modelgate/v1/models_pb.js";
import { AttemptOutcome } from "../../gen/modelgate/v1/routing_pb.js";
import { eventOf, startGateway, streamedText, userText, type E2EGateway } from "./harness.js";

/** An OpenAI-speaking upstream whose every stream takes `deltas × gapMs`; it counts what it served at once. */
interface PacedUpstream {
  baseUrl: string;
  /** Most requests it was serving at the same time. */
  maxConcurrent: number;
  served: number;
  close(): Promise<void>;
}

function chunk(delta: Record<string, unknown>, finishReason: string | null): string {
  return `data: ${JSON.stringify({ id: "c", object: "chat.completion.chunk", created: 1, model: "paced", choices: [{ index: 0, delta, finish_reason: finishReason }] })}\n\n`;
}

async function startPacedUpstream(deltas: number, gapMs: number): Promise<PacedUpstream> {
  let concurrent = 0;
  const upstream: PacedUpstream = {
    baseUrl: "",
    maxConcurrent: 0,
    served: 0,
    close: async () => undefined,
  };
  const server = http.createServer((request, response) => {
    request.resume();
    request.on("end", () => {
      concurrent += 1;
      upstream.maxConcurrent = Math.max(upstream.maxConcurrent, concurrent);
      response.writeHead(200, { "content-type": "text/event-stream" });
      let sent = 0;
      const timer = setInterval(() => {
        response.write(chunk({ content: `t${sent} ` }, null));
        sent += 1;
        if (sent < deltas) return;
        clearInterval(timer);
        response.write(chunk({}, "stop"));
        response.end("data: [DONE]\n\n");
      }, gapMs);
      response.on("close", () => {
        clearInterval(timer);
        concurrent -= 1;
        upstream.served += 1;
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  upstream.baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
  upstream.close = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return upstream;
}

let gateway: E2EGateway | undefined;
let upstream: PacedUpstream | undefined;

afterEach(async () => {
  await gateway?.close();
  await upstream?.close();
  gateway = undefined;
  upstream = undefined;
});

/** One provider over `baseUrl` with the given pool settings, one deployment with tight vendor limits. */
function fragment(baseUrl: string, pool: { maxConnections: number; maxQueued?: number }): Record<string, unknown> {
  return {
    providers: { paced: { kind: "openai", baseUrl, apiKey: "k", ...pool } },
    deployments: {
      // Each stream takes 500 ms at the vendor; waiting for a connection takes up to 4.5 s here, far past
      // the first-token (1 s) and total (2 s) limits, which must not see that wait.
      paced: { provider: "paced", model: "paced", timeouts: { firstTokenMs: 1_000, totalMs: 2_000 } },
    },
    aliases: { chat: { tiers: [["paced"]] } },
    routing: { breaker: { consecutiveFailures: 3 } },
  };
}

describe("a pool smaller than the load", () => {
  it("20 concurrent 500 ms streams over 2 connections all complete: no PROVIDER_TIMEOUT, breaker closed", async () => {
    upstream = await startPacedUpstream(5, 100);
    gateway = await startGateway(fragment(upstream.baseUrl, { maxConnections: 2 }));
    const g = gateway;
    const outcomes = await Promise.all(Array.from({ length: 20 }, () => g.client.stream({ model: "chat", messages: [userText("Hi")] })));

    for (const outcome of outcomes) {
      expect(outcome.status.code, outcome.status.message).toBe(GrpcStatus.OK);
      expect(streamedText(outcome.events)).toBe("t0 t1 t2 t3 t4 ");
      const attempts = eventOf(outcome.events, "finish")?.route?.attempts ?? [];
      expect(attempts.map((attempt) => attempt.reason)).toEqual([""]);
    }
    expect(upstream.maxConcurrent).toBe(2);
    expect(upstream.served).toBe(20);
    const [stats] = await g.client.deploymentStats(["paced"]);
    expect(stats.breakerState).toBe(BreakerState.CLOSED);
    expect(stats.failures).toBe(0n);
  });

  it("sheds what does not fit the queue with RESOURCE_EXHAUSTED RATE_LIMITED, and the breaker stays closed", async () => {
    upstream = await startPacedUpstream(5, 100);
    gateway = await startGateway(fragment(upstream.baseUrl, { maxConnections: 2, maxQueued: 3 }));
    const g = gateway;
    const outcomes = await Promise.all(Array.from({ length: 10 }, () => g.client.stream({ model: "chat", messages: [userText("Hi")] })));

    const ok = outcomes.filter((outcome) => outcome.status.code === GrpcStatus.OK);
    const shed = outcomes.filter((outcome) => outcome.status.code !== GrpcStatus.OK);
    expect(ok).toHaveLength(5);
    expect(shed).toHaveLength(5);
    for (const outcome of shed) {
      expect(outcome.status.code).toBe(GrpcStatus.RESOURCE_EXHAUSTED);
      expect(outcome.status.details.errorInfo?.reason).toBe("RATE_LIMITED");
      expect(outcome.status.details.errorInfo?.metadata.cause).toBe("connections_busy");
      expect(outcome.status.details.failure?.route?.attempts.map((attempt) => [attempt.outcome, attempt.reason])).toEqual([
        [AttemptOutcome.FAILED, "RATE_LIMITED"],
      ]);
      expect(outcome.events).toEqual([]);
    }
    expect(upstream.served).toBe(5);
    const [stats] = await g.client.deploymentStats(["paced"]);
    expect(stats.breakerState).toBe(BreakerState.CLOSED);
    expect(stats.failures).toBe(0n);
  });
});
