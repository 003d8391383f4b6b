/**
 * R13: streams canceled by their client mid-stream, spread over gRPC (RST_STREAM CANCEL on h2c), Connect
 * (HTTP/1.1 close and h2c) and gRPC-Web (HTTP/1.1 close), and over the four vendor wires; the vendor
 * simulator records when it saw each upstream request go away. Invariants: the upstream request is
 * aborted within 100 ms of the client's cancel (p99); no upstream attempt starts after a cancel; no
 * upstream socket that carried a canceled stream stays open; exactly one "call finished" line per
 * request, CANCELED. Two paces: 1,000 streams at 20 deltas/s (the cancel path itself), and 300 at 500
 * deltas/s (cancels landing while the gateway is busy writing).
 */
import { afterAll, beforeAll, expect, it } from "vitest";
import { VENDORS, startSimulator, type Simulator } from "../../src/simulator/index.js";
import { percentile } from "../e2e/harness.js";
import { startGatewayProcess, type GatewayProcess } from "./support/gateway-process.js";
import { mib, ms, recordFigures } from "./support/figures.js";
import { ask, callStream, clientsFor, PROTOCOLS, requestIdIn, runBounded, simDeployment, simProviders, waitFor, type CallOutcome } from "./support/battery.js";
import { timingSlack } from "./support/timing-slack.js";

const CONCURRENCY = 50;
const CANCEL_AFTER_DELTAS = 3;
const ABORT_P99_BOUND_MS = 100 * timingSlack;
const RSS_BOUND_MIB = 256;

let sim: Simulator;
let gateway: GatewayProcess;

beforeAll(async () => {
  sim = await startSimulator();
  const deployments: Record<string, unknown> = {};
  const aliases: Record<string, unknown> = {};
  for (const vendor of VENDORS) {
    deployments[vendor] = simDeployment(vendor, `r13-${vendor}`);
    aliases[vendor] = { tiers: [[vendor]] };
  }
  gateway = await startGatewayProcess("r13", { providers: simProviders(sim), deployments, aliases });
});

afterAll(async () => {
  await gateway?.stop();
  await sim?.close();
});

interface CancelRun {
  streams: number;
  durationMs: number;
  abortDelays: number[];
  notCanceled: number;
  notAborted: number;
  upstreamRequests: number;
  maxUpstreamPerRequest: number;
  attemptsAfterCancel: number;
  usedOpen: number;
  busy: number;
  unused: number;
  /** Request ids without exactly one CANCELED "call finished" line, with what they had. */
  withoutOneRecord: { id: string; protocol: string; lines: string[] }[];
  linesWithUsage: number;
}

/** Runs `streams` canceled streams with ids `<prefix>-N`, the upstream pacing deltas `tokenIntervalMs` apart. */
async function cancelMany(prefix: string, streams: number, tokenIntervalMs: number): Promise<CancelRun> {
  sim.reset();
  sim.setDefault({ text: Array.from({ length: 200 }, (_, index) => `word${index}`).join(" "), tokenIntervalMs });
  const clients = clientsFor(gateway.url);
  const protocolOf = (index: number): (typeof PROTOCOLS)[number] => PROTOCOLS[Math.floor(index / VENDORS.length) % PROTOCOLS.length];
  const began = Date.now();
  const outcomes: CallOutcome[] = await runBounded(streams, CONCURRENCY, (index) => {
    let deltas = 0;
    return callStream(clients[protocolOf(index)], ask(VENDORS[index % VENDORS.length], `${prefix}-${index}`), {
      timeoutMs: 30_000,
      onEvent: (event) => (event.event.case === "textDelta" && ++deltas === CANCEL_AFTER_DELTAS ? "cancel" : undefined),
    });
  });
  const durationMs = Date.now() - began;
  // Every upstream request over (finished or aborted), then a moment for sockets and log lines to settle.
  await waitFor(() => sim.connections().busy === 0, 5_000);
  await waitFor(() => sim.connections().open === sim.connections().unused, 2_000);
  await new Promise((resolve) => setTimeout(resolve, 1_000));

  const canceledAt = new Map(outcomes.map((outcome, index) => [`${prefix}-${index}`, outcome.canceledAt]));
  const upstreamById = new Map<string, typeof sim.requests>();
  for (const request of sim.requests) {
    const id = requestIdIn(request.body) ?? "?";
    upstreamById.set(id, [...(upstreamById.get(id) ?? []), request]);
  }
  const abortDelays: number[] = [];
  let notAborted = 0;
  let attemptsAfterCancel = 0;
  for (const [id, requests] of upstreamById) {
    const cancel = canceledAt.get(id);
    if (cancel === undefined) continue;
    for (const request of requests) {
      if (request.receivedAt > cancel) attemptsAfterCancel += 1;
      if (request.abortedAt === undefined) notAborted += 1;
      else abortDelays.push(request.abortedAt - cancel);
    }
  }
  // A socket that carried a canceled stream must be closed (its body was abandoned mid-way); sockets the
  // gateway's pool opened and never used may idle until its keep-alive timeout.
  const { open, busy, unused } = sim.connections();
  const lines = gateway.callLines().filter((line) => String(line.requestId).startsWith(`${prefix}-`));
  const linesPerId = new Map<string, string[]>();
  for (const line of lines) linesPerId.set(String(line.requestId), [...(linesPerId.get(String(line.requestId)) ?? []), String(line.status)]);
  const withoutOneRecord = [...canceledAt.keys()]
    .map((id) => ({ id, protocol: protocolOf(Number(id.slice(prefix.length + 1))), lines: linesPerId.get(id) ?? [] }))
    .filter(({ lines: statuses }) => statuses.length !== 1 || statuses[0] !== "CANCELED");
  return {
    streams,
    durationMs,
    abortDelays,
    notCanceled: outcomes.filter((outcome) => outcome.canceledAt === undefined).length,
    notAborted,
    upstreamRequests: upstreamById.size,
    maxUpstreamPerRequest: Math.max(...[...upstreamById.values()].map((requests) => requests.length)),
    attemptsAfterCancel,
    usedOpen: open - unused,
    busy,
    unused,
    withoutOneRecord,
    linesWithUsage: lines.filter((line) => line.inputTokens !== undefined || line.outputTokens !== undefined).length,
  };
}

function describeRun(id: string, run: CancelRun, tokenIntervalMs: number): string {
  const missing = new Map<string, number>();
  for (const { protocol } of run.withoutOneRecord) missing.set(protocol, (missing.get(protocol) ?? 0) + 1);
  return (
    `${id}: ${run.streams} streams (deltas every ${tokenIntervalMs} ms) canceled after ${CANCEL_AFTER_DELTAS} deltas (c=${CONCURRENCY}) in ${(run.durationMs / 1000).toFixed(1)} s, ` +
    `upstream aborted after the cancel p50 ${ms(percentile(run.abortDelays, 50))} p99 ${ms(percentile(run.abortDelays, 99))} max ${ms(Math.max(...run.abortDelays))}, ` +
    `not aborted ${run.notAborted}, upstream calls/request max ${run.maxUpstreamPerRequest}, attempts after cancel ${run.attemptsAfterCancel}, ` +
    `upstream sockets left open that carried a request ${run.usedOpen} (busy ${run.busy}; ${run.unused} pool connections never used), ` +
    `one CANCELED call line ${run.streams - run.withoutOneRecord.length}/${run.streams}` +
    (missing.size === 0 ? "" : ` (without: ${[...missing.entries()].map(([protocol, count]) => `${protocol} ${count}`).join(", ")})`) +
    `, usage in ${run.linesWithUsage} lines (partial usage is not logged), peak RSS ${mib(gateway.peakRssMiB())}`
  );
}

function expectCancelInvariants(run: CancelRun): void {
  expect(run.notCanceled, "streams that ended before the client canceled").toBe(0);
  expect(run.upstreamRequests, "requests that reached the upstream").toBe(run.streams);
  expect(run.notAborted, "upstream requests never aborted").toBe(0);
  expect(run.attemptsAfterCancel, "upstream attempts after a cancel").toBe(0);
  expect(run.maxUpstreamPerRequest, "upstream attempts per request").toBe(1);
  expect({ usedOpen: run.usedOpen, busy: run.busy }, "upstream sockets left open").toEqual({ usedOpen: 0, busy: 0 });
  expect(run.withoutOneRecord.slice(0, 5), `calls without exactly one CANCELED call line (${run.withoutOneRecord.length})`).toEqual([]);
  expect(gateway.peakRssMiB(), "peak RSS MiB").toBeLessThanOrEqual(RSS_BOUND_MIB);
}

const INVARIANT = `0 upstream attempts after a cancel; 0 upstream sockets that carried a canceled stream left open; exactly one \`call finished\` line per request, CANCELED; peak RSS ≤ ${RSS_BOUND_MIB} MiB`;

it("R13: 1,000 mid-stream cancellations abort the upstream within 100 ms, with no attempt after and no socket left", async () => {
  // A 10 s stream at 20 deltas/s. Faster pacing with 50 streams saturates the gateway's core, and the
  // figure would be its queueing, not its cancel path: that is R13b.
  const run = await cancelMany("r13", 1_000, 50);
  await recordFigures(
    {
      id: "R13",
      title: "1,000 client cancellations mid-stream (gRPC, Connect, gRPC-Web × 4 vendor wires)",
      invariant: `upstream aborted ≤ ${ABORT_P99_BOUND_MS} ms after the cancel (p99); ${INVARIANT}`,
      figures: describeRun("R13", run, 50),
    },
    () => {
      expectCancelInvariants(run);
      expect(percentile(run.abortDelays, 99), "upstream abort delay p99 ms").toBeLessThanOrEqual(ABORT_P99_BOUND_MS);
    },
  );
});

it("R13b: 300 cancellations of fast streams (500 deltas/s): every call still ends with exactly one record", async () => {
  const run = await cancelMany("r13b", 300, 2);
  await recordFigures(
    {
      id: "R13b",
      title: "300 client cancellations of fast streams (2 ms between deltas)",
      // The gateway's core is saturated here, so the abort delay is reported, not bounded: R13 bounds it.
      invariant: `${INVARIANT} (abort delay reported, bounded in R13)`,
      figures: describeRun("R13b", run, 2),
    },
    () => expectCancelInvariants(run),
  );
});
