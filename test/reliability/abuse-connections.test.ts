/**
 * Abuse at the connection level (issue 15, defect 3, and the floods beside it), each against a fresh
 * gateway with short connection limits and the health prober running throughout: slowloris heads,
 * silent sockets, slow bodies on HTTP/1.1 and HTTP/2, idle HTTP/2 sessions, oversized heads, a stream
 * flood past the HTTP/2 stream cap, and a rapid-reset flood. Every abusive connection must be closed by
 * its limit; health p99 stays ≤ 50 ms; RSS stays bounded; the gateway lives.
 */
import http2 from "node:http2";
import net from "node:net";
import { afterAll, beforeAll, expect, it } from "vitest";
import { startSimulator, type Simulator } from "../../src/simulator/index.js";
import { percentile } from "../e2e/harness.js";
import { ABUSE_RSS_BOUND_MIB, describeAbuse, healthProblems, HEALTH_P99_BOUND_MS, underAbuse } from "./support/abuse.js";
import { ms, recordFigures } from "./support/figures.js";
import { connectRawH2, grpcStreamRequestBody, H2_ERROR } from "./support/raw-h2.js";
import { simDeployment, simProviders, waitFor } from "./support/battery.js";

const LIMITS = { headersTimeoutMs: 2_000, requestTimeoutMs: 3_000, keepAliveTimeoutMs: 2_000, idleTimeoutMs: 2_000, maxConcurrentStreams: 100, maxHeaderBytes: 16_384 };
/** Node checks HTTP/1.1 head and request timeouts once a second (listener.ts): a limit may fire that much late, plus scheduling. */
const SLACK_MS = 1_500;
const STREAM_PATH = "/modelgate.v1.GatewayService/StreamComplete";
const COMPLETE_PATH = "/modelgate.v1.GatewayService/Complete";

let sim: Simulator;

function config(): Record<string, unknown> {
  return {
    server: { connections: LIMITS },
    providers: simProviders(sim),
    deployments: { slow: simDeployment("openai", "abuse-slow") },
    aliases: { chat: { tiers: [["slow"]] } },
  };
}

beforeAll(async () => {
  sim = await startSimulator();
  // A 2 s stream: 20 words, 100 ms apart.
  sim.setDefault({ text: Array.from({ length: 20 }, (_, index) => `w${index}`).join(" "), tokenIntervalMs: 100 });
});
afterAll(async () => {
  await sim?.close();
});

interface Closed {
  /** ms from connect to close. */
  afterMs: number;
  /** What the server wrote first, if anything. */
  firstLine: string;
}

/** Opens a socket, writes `head`, then one `drip` byte every `gapMs` until the server closes it. */
function trickle(port: number, head: string, gapMs: number, drip = "x"): Promise<Closed> {
  return new Promise((resolve) => {
    const began = Date.now();
    const socket = net.connect(port, "127.0.0.1");
    let received = "";
    let timer: NodeJS.Timeout | undefined;
    socket.on("connect", () => {
      if (head !== "") socket.write(head);
      timer = setInterval(() => socket.writable && socket.write(drip), gapMs);
    });
    socket.on("data", (data) => (received += data.toString("latin1")));
    socket.on("error", () => undefined);
    socket.on("close", () => {
      clearInterval(timer);
      resolve({ afterMs: Date.now() - began, firstLine: received.split("\r\n", 1)[0] ?? "" });
    });
  });
}

function summarise(closed: Closed[]): string {
  const times = closed.map((entry) => entry.afterMs);
  const answers = new Map<string, number>();
  for (const { firstLine } of closed) answers.set(firstLine || "(closed without an answer)", (answers.get(firstLine || "(closed without an answer)") ?? 0) + 1);
  return `closed after p50 ${ms(percentile(times, 50))} max ${ms(Math.max(...times))} [${[...answers.entries()].map(([line, count]) => `${line}: ${count}`).join(", ")}]`;
}


it("A1: 400 slowloris heads and 100 silent sockets are closed by the head timeout", async () => {
  const result = await underAbuse("a1", config(), async (gateway) => {
    const slowloris = Array.from({ length: 400 }, () => trickle(gateway.port, `POST ${COMPLETE_PATH} HTTP/1.1\r\nHost: x\r\nX-Slow: `, 500));
    const silent = Array.from({ length: 100 }, () => trickle(gateway.port, "", 60_000, ""));
    return { slowloris: await Promise.all(slowloris), silent: await Promise.all(silent) };
  });
  const { slowloris, silent } = result.value;
  const bound = LIMITS.headersTimeoutMs + SLACK_MS;
  await recordFigures(
    {
      id: "A1",
      title: "slowloris: 400 trickled HTTP/1.1 heads, 100 silent sockets",
      invariant: `every connection closed ≤ headersTimeoutMs (${LIMITS.headersTimeoutMs} ms) + ${SLACK_MS} ms; health p99 ≤ ${HEALTH_P99_BOUND_MS} ms; peak RSS ≤ ${ABUSE_RSS_BOUND_MIB} MiB`,
      figures: `A1: slowloris ${summarise(slowloris)}; silent ${summarise(silent)}; ${describeAbuse(result)}`,
    },
    () => {
      expect(Math.max(...slowloris.map((entry) => entry.afterMs))).toBeLessThanOrEqual(bound);
      expect(Math.max(...silent.map((entry) => entry.afterMs))).toBeLessThanOrEqual(bound);
      expect(healthProblems(result).join("; "), "broken bounds").toBe("");
    },
  );
});

function http2ErrorName(code: number | undefined): string {
  return code === undefined ? "none" : (H2_ERROR[code] ?? `code ${code}`);
}

/** Opens an HTTP/2 stream whose body trickles in, one byte every `gapMs`; resolves when the server ends it. */
function slowH2Body(session: http2.ClientHttp2Session, gapMs: number): Promise<Closed> {
  return new Promise((resolve) => {
    const began = Date.now();
    const stream = session.request({ ":method": "POST", ":path": COMPLETE_PATH, "content-type": "application/grpc", te: "trailers" }, { endStream: false });
    const timer = setInterval(() => !stream.destroyed && stream.write(Buffer.from([0])), gapMs);
    let status = "";
    stream.on("response", (headers) => (status = `HTTP/2 ${headers[":status"]}`));
    stream.on("trailers", (trailers) => (status += ` grpc-status ${trailers["grpc-status"]}`));
    stream.on("error", () => undefined);
    stream.on("data", () => undefined);
    stream.on("close", () => {
      clearInterval(timer);
      resolve({ afterMs: Date.now() - began, firstLine: status || `RST ${http2ErrorName(stream.rstCode)}` });
    });
  });
}

it("A2: 100 slow HTTP/1.1 bodies and 50 slow HTTP/2 bodies are cut off by the request timeout", async () => {
  const result = await underAbuse("a2", config(), async (gateway) => {
    const http1 = Array.from({ length: 100 }, () =>
      trickle(gateway.port, `POST ${COMPLETE_PATH} HTTP/1.1\r\nHost: x\r\nContent-Type: application/proto\r\nContent-Length: 100000\r\n\r\n`, 200, "\0"),
    );
    const session = http2.connect(gateway.url);
    session.on("error", () => undefined);
    const h2 = Array.from({ length: 50 }, () => slowH2Body(session, 200));
    const closed = { http1: await Promise.all(http1), h2: await Promise.all(h2) };
    session.destroy();
    return closed;
  });
  const bound = LIMITS.requestTimeoutMs + SLACK_MS;
  await recordFigures(
    {
      id: "A2",
      title: "slow bodies: 100 on HTTP/1.1, 50 streams on one HTTP/2 session",
      invariant: `every slow body cut off ≤ requestTimeoutMs (${LIMITS.requestTimeoutMs} ms) + ${SLACK_MS} ms; 0 upstream calls; health p99 ≤ ${HEALTH_P99_BOUND_MS} ms; peak RSS ≤ ${ABUSE_RSS_BOUND_MIB} MiB`,
      figures: `A2: HTTP/1.1 ${summarise(result.value.http1)}; HTTP/2 ${summarise(result.value.h2)}; ${describeAbuse(result)}`,
    },
    () => {
      expect(Math.max(...result.value.http1.map((entry) => entry.afterMs))).toBeLessThanOrEqual(bound);
      expect(Math.max(...result.value.h2.map((entry) => entry.afterMs))).toBeLessThanOrEqual(bound);
      expect(sim.requests.filter((request) => request.model === "abuse-slow")).toHaveLength(0);
      expect(healthProblems(result).join("; "), "broken bounds").toBe("");
    },
  );
});

it("A3: 100 idle HTTP/2 sessions are closed by the idle timeout", async () => {
  const result = await underAbuse("a3", config(), async (gateway) => {
    const sessions = Array.from(
      { length: 100 },
      () =>
        new Promise<Closed>((resolve) => {
          const began = Date.now();
          const session = http2.connect(gateway.url);
          let goaway = "";
          session.on("goaway", (code) => (goaway = `GOAWAY ${code}`));
          session.on("error", () => undefined);
          session.on("close", () => resolve({ afterMs: Date.now() - began, firstLine: goaway }));
        }),
    );
    return Promise.all(sessions);
  });
  const bound = LIMITS.idleTimeoutMs + SLACK_MS;
  await recordFigures(
    {
      id: "A3",
      title: "idle HTTP/2: 100 sessions that never open a stream",
      invariant: `every session closed ≤ idleTimeoutMs (${LIMITS.idleTimeoutMs} ms) + ${SLACK_MS} ms; health p99 ≤ ${HEALTH_P99_BOUND_MS} ms; peak RSS ≤ ${ABUSE_RSS_BOUND_MIB} MiB`,
      figures: `A3: ${summarise(result.value)}; ${describeAbuse(result)}`,
    },
    () => {
      expect(Math.max(...result.value.map((entry) => entry.afterMs))).toBeLessThanOrEqual(bound);
      expect(healthProblems(result).join("; "), "broken bounds").toBe("");
    },
  );
});

it("A4: oversized heads get 431 on HTTP/1.1 and are refused on HTTP/2, with no upstream call", async () => {
  const big = "a".repeat(32 * 1024);
  const result = await underAbuse("a4", config(), async (gateway) => {
    const http1: string[] = [];
    const h2 = { resets: {} as Record<string, number>, goaways: {} as Record<string, number>, headers: 0, dataBytes: 0 };
    // Rounds for 3 s, so the health figure has samples.
    const until = Date.now() + 3_000;
    while (Date.now() < until) {
      http1.push(
        ...(await Promise.all(
          Array.from({ length: 50 }, () =>
            new Promise<string>((resolve) => {
              const socket = net.connect(gateway.port, "127.0.0.1", () =>
                socket.write(`POST ${COMPLETE_PATH} HTTP/1.1\r\nHost: x\r\nX-Big: ${big}\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}`),
              );
              let received = "";
              socket.on("data", (data) => (received += data.toString("latin1")));
              socket.on("error", () => undefined);
              socket.on("close", () => resolve(received.split("\r\n", 1)[0] || "(closed without an answer)"));
            }),
          ),
        )),
      );
      const connection = await connectRawH2(gateway.port);
      for (let index = 0; index < 20; index++) connection.open(STREAM_PATH, grpcStreamRequestBody("chat", "hello"), [["x-big", big]]);
      await waitFor(() => connection.closed || connection.counts.headers + Object.values(connection.counts.resets).reduce((a, b) => a + b, 0) >= 20, 5_000);
      for (const [name, count] of Object.entries(connection.counts.resets)) h2.resets[name] = (h2.resets[name] ?? 0) + count;
      if (connection.counts.goaway !== undefined) h2.goaways[connection.counts.goaway] = (h2.goaways[connection.counts.goaway] ?? 0) + 1;
      h2.headers += connection.counts.headers;
      h2.dataBytes += connection.counts.dataBytes;
      connection.close();
    }
    return { http1, h2 };
  });
  const http1Answers = new Map<string, number>();
  for (const line of result.value.http1) http1Answers.set(line, (http1Answers.get(line) ?? 0) + 1);
  const { h2 } = result.value;
  await recordFigures(
    {
      id: "A4",
      title: "oversized heads: rounds of 50 HTTP/1.1 requests and 20 HTTP/2 streams with a 32 KiB header (limit 16 KiB) for 3 s",
      invariant: `HTTP/1.1 answered 431; HTTP/2 streams refused (reset or GOAWAY), none served; 0 upstream calls; health p99 ≤ ${HEALTH_P99_BOUND_MS} ms; peak RSS ≤ ${ABUSE_RSS_BOUND_MIB} MiB`,
      figures:
        `A4: HTTP/1.1 ${[...http1Answers.entries()].map(([line, count]) => `${line}: ${count}`).join(", ")}; ` +
        `HTTP/2 resets ${JSON.stringify(h2.resets)}, GOAWAYs ${JSON.stringify(h2.goaways)}, response heads ${h2.headers}, data ${h2.dataBytes} B; ${describeAbuse(result)}`,
    },
    () => {
      expect(result.value.http1.every((line) => line.startsWith("HTTP/1.1 431"))).toBe(true);
      expect(h2.dataBytes).toBe(0);
      expect(sim.requests.filter((request) => request.model === "abuse-slow")).toHaveLength(0);
      expect(healthProblems(result).join("; "), "broken bounds").toBe("");
    },
  );
});

it("A5: stream floods past the HTTP/2 stream cap never run more than the cap upstream", async () => {
  sim.reset();
  sim.setDefault({ text: Array.from({ length: 20 }, (_, index) => `w${index}`).join(" "), tokenIntervalMs: 100 });
  const FLOOD_MS = 3_000;
  const perConnection = 3 * LIMITS.maxConcurrentStreams;
  let maxUpstreamBusy = 0;
  const result = await underAbuse("a5", config(), async (gateway) => {
    const sampler = setInterval(() => (maxUpstreamBusy = Math.max(maxUpstreamBusy, sim.connections().busy)), 5);
    const totals = { connections: 0, streams: 0, heads: 0, resets: {} as Record<string, number>, goaways: {} as Record<string, number> };
    const body = grpcStreamRequestBody("chat", "flood");
    // An attacker that reconnects: each connection opens 3× the cap at once, until the server ends it
    // or answers every stream; then the next.
    const until = Date.now() + FLOOD_MS;
    while (Date.now() < until) {
      const connection = await connectRawH2(gateway.port);
      totals.connections += 1;
      for (let index = 0; index < perConnection; index++) connection.open(STREAM_PATH, body);
      totals.streams += perConnection;
      await connection.flushed();
      // Served streams end with trailers (a second HEADERS), refused ones with RST_STREAM.
      await waitFor(() => connection.closed || connection.counts.headers / 2 + Object.values(connection.counts.resets).reduce((a, b) => a + b, 0) >= perConnection, 5_000);
      totals.heads += connection.counts.headers;
      for (const [name, count] of Object.entries(connection.counts.resets)) totals.resets[name] = (totals.resets[name] ?? 0) + count;
      if (connection.counts.goaway !== undefined) totals.goaways[connection.counts.goaway] = (totals.goaways[connection.counts.goaway] ?? 0) + 1;
      connection.close();
    }
    await waitFor(() => sim.connections().busy === 0, 5_000);
    clearInterval(sampler);
    return totals;
  });
  const totals = result.value;
  await recordFigures(
    {
      id: "A5",
      title: `stream flood: ${perConnection} gRPC streams at once per HTTP/2 connection (cap ${LIMITS.maxConcurrentStreams}), reconnecting for ${FLOOD_MS / 1000} s`,
      invariant: `upstream calls in flight never above the cap; the excess refused (RST_STREAM or GOAWAY), not queued; health p99 ≤ ${HEALTH_P99_BOUND_MS} ms; peak RSS ≤ ${ABUSE_RSS_BOUND_MIB} MiB`,
      figures:
        `A5: ${totals.connections} connections, ${totals.streams} streams, most upstream calls in flight ${maxUpstreamBusy}, upstream calls ${sim.requests.length}, ` +
        `response heads ${totals.heads}, resets ${JSON.stringify(totals.resets)}, GOAWAYs ${JSON.stringify(totals.goaways)}; ${describeAbuse(result)}`,
    },
    () => {
      expect(maxUpstreamBusy, "upstream calls in flight").toBeLessThanOrEqual(LIMITS.maxConcurrentStreams);
      expect(healthProblems(result).join("; "), "broken bounds").toBe("");
    },
  );
});

it("A6: a rapid-reset flood (open and reset streams for 3 s) leaves the gateway healthy and nothing upstream running", async () => {
  sim.reset();
  sim.setDefault({ text: Array.from({ length: 20 }, (_, index) => `w${index}`).join(" "), tokenIntervalMs: 100 });
  const FLOOD_MS = 3_000;
  const result = await underAbuse("a6", config(), async (gateway) => {
    const body = grpcStreamRequestBody("chat", "reset me");
    const until = Date.now() + FLOOD_MS;
    // The attacker reconnects whenever the server closes its connection, for the whole 3 s.
    const totals = { connections: 0, closed: 0, opened: 0, goaways: {} as Record<string, number> };
    while (Date.now() < until) {
      const connection = await connectRawH2(gateway.port);
      totals.connections += 1;
      while (Date.now() < until && !connection.closed) {
        for (let index = 0; index < 50; index++) connection.reset(connection.open(STREAM_PATH, body));
        await connection.flushed();
        await new Promise((resolve) => setImmediate(resolve));
      }
      totals.opened += connection.opened;
      if (connection.closed) totals.closed += 1;
      if (connection.counts.goaway !== undefined) totals.goaways[connection.counts.goaway] = (totals.goaways[connection.counts.goaway] ?? 0) + 1;
      connection.close();
    }
    const settled = await waitFor(() => sim.connections().busy === 0, 5_000);
    return { ...totals, upstreamSettled: settled };
  });
  const { value } = result;
  await recordFigures(
    {
      id: "A6",
      title: "rapid reset: HEADERS + RST_STREAM as fast as a connection takes them, reconnecting for 3 s",
      invariant: `no upstream call still running 5 s after; health p99 ≤ ${HEALTH_P99_BOUND_MS} ms; peak RSS ≤ ${ABUSE_RSS_BOUND_MIB} MiB; the gateway lives`,
      figures:
        `A6: ${value.connections} connections, ${value.opened} streams opened and reset, ${value.closed} connections closed by the server (GOAWAYs ${JSON.stringify(value.goaways)}), ` +
        `upstream calls ${sim.requests.length} (still running after: ${sim.connections().busy}); ${describeAbuse(result)}`,
    },
    () => {
      expect(value.upstreamSettled, "every upstream call over 5 s after the flood").toBe(true);
      expect(healthProblems(result).join("; "), "broken bounds").toBe("");
    },
  );
});
