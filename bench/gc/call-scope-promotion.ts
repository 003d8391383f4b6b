/**
 * What found most of the gateway's young-generation promotion (docs/benchmarks.md, Garbage): a real
 * fast-path context, alone or with a call scope opened, succeeded and ended on it, 300,000 times, with a
 * turn of the microtask queue every 100. Bundle it (esbuild, as below) so tsx's keepNames wrappers do not
 * take part, then read the last scavenge line.
 *
 *   npx esbuild bench/gc/call-scope-promotion.ts --bundle --platform=node --format=esm \
 *     --outfile=/tmp/call-scope-promotion.mjs --banner:js='import { createRequire as r } from "node:module"; const require = r(import.meta.url);'
 *   node --trace-gc-nvp /tmp/call-scope-promotion.mjs context-only | grep "gc=s" | tail -1
 *   node --trace-gc-nvp /tmp/call-scope-promotion.mjs with-scope   | grep "gc=s" | tail -1
 *
 * Measured on 2026-12-01 (Node 20): context only ~0.14 MB promoted per scavenge, 2 ms; with the scope
 * 4–11 MB and 15–22 ms while the scope object had two getters (`get requestId()`, `get logger()`), and
 * 0.12 MB, 1.3 ms once they were methods. A getter in an object literal is a fresh function per object;
 * objects built that way outlived the young generation. Keep per-call objects free of literal getters
 * (classes are fine: their getters live on the prototype).
 */
import { createContextValues } from "@connectrpc/connect";
import { GatewayService } from "../../gen/modelgate/v1/gateway_service_pb.js";
import { createLogger } from "../../src/observability/logger.js";
import { openCallScope } from "../../src/server/call-scope.js";
import { FastPathContext, type RunningCalls } from "../../src/server/fast-path-context.js";
import type { NodeRequest, NodeResponse } from "../../src/server/node-handler.js";
import { requestIdKey } from "../../src/server/request-id.js";

const withScope = process.argv[2] === "with-scope";
const settings = { defaultDeadlineMs: 60_000, maxDeadlineMs: 600_000, logger: createLogger({ level: "warn" }) };
const runningCalls: RunningCalls = new Set();
const shutdownSignal = new AbortController().signal;
// Only what the context reads: headers for requestHeader, `once` for the client-gone watch.
const request = { headers: { "content-type": "application/json" }, socket: {}, url: "/modelgate.v1.GatewayService/Complete" } as unknown as NodeRequest;
let kept: unknown;
for (let index = 0; index < 300_000; index++) {
  const response = { once: () => response, writableEnded: false } as unknown as NodeResponse;
  const context = new FastPathContext({
    method: GatewayService.method.complete,
    request,
    response,
    protocolName: "connect",
    responseContentType: "application/json",
    binary: false,
    timeoutMs: undefined,
    values: createContextValues().set(requestIdKey, `request-${index}`),
    shutdownSignal,
    runningCalls,
  });
  if (withScope) {
    const scope = openCallScope("Complete", context, settings);
    scope.succeed({});
    scope.end();
  }
  context.finish();
  kept = context;
  if (index % 100 === 0) await null;
}
void kept;
