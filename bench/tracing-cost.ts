/**
 * What tracing costs a call when no OpenTelemetry SDK is registered (no `telemetry.otlp`), in process:
 * the request span around the engine (observability/tracing-engine.ts) and an attempt span started and
 * ended (observability/attempt-span.ts), against the same work without them, in interleaved rounds.
 * An out-of-process A/B cannot see sub-microsecond costs on this rig (its p50 noise is ~50 µs), so
 * this is the measurement issue 19's "metrics + tracing within 0.1 ms" rests on for tracing.
 *
 *   npx tsx bench/tracing-cost.ts [--calls 200000] [--rounds 5]
 */
import { argument } from "./lib/cli.js";
import { percentile } from "./lib/stats.js";
import type { CompletionEngine, GatewayResult } from "../src/gateway/types.js";
import { endAttemptSpan, startAttemptSpan } from "../src/observability/attempt-span.js";
import { createTracingEngine } from "../src/observability/tracing-engine.js";
import { systemClock } from "../src/resilience/clock.js";
import { testContext, testRequest } from "../src/routing/testing/engine-fixture.js";

const calls = Number(argument("calls", "200000"));
const rounds = Number(argument("rounds", "5"));

const result = { route: { requestedModel: "chat", strategy: "priority", attempts: [] }, usage: {} } as unknown as GatewayResult;
const bare: CompletionEngine = {
  complete: () => Promise.resolve(result),
  stream: () => (async function* () {})(),
  listModels: () => ({ aliases: [], deployments: [] }),
  deploymentStats: () => Promise.resolve([]),
  close: () => Promise.resolve(),
};
const traced = createTracingEngine(bare, { providerKind: () => "openai" });
const request = testRequest("chat");

async function perCallNs(engine: CompletionEngine, withAttempt: boolean): Promise<number> {
  const started = process.hrtime.bigint();
  for (let index = 0; index < calls; index++) {
    const context = testContext(systemClock);
    if (withAttempt) {
      const attempt = startAttemptSpan(context.trace, { deployment: "d", provider: "p", providerKind: "openai", vendorModel: "m", retry: 0 });
      endAttemptSpan(attempt.span, { outcome: "succeeded", waitedForConnectionMs: 0 });
    }
    await engine.complete(request, context);
  }
  return Number(process.hrtime.bigint() - started) / calls;
}

const added: number[] = [];
for (let round = 0; round < rounds; round++) {
  const without = await perCallNs(bare, false);
  const withSpans = await perCallNs(traced, true);
  added.push(withSpans - without);
  process.stdout.write(`round ${round}: ${without.toFixed(0)} ns/call without spans, ${withSpans.toFixed(0)} ns with: +${(withSpans - without).toFixed(0)} ns\n`);
}
process.stdout.write(`tracing without an SDK: +${percentile(added, 50).toFixed(0)} ns per call (median of ${rounds} rounds of ${calls} calls)\n`);
