import http from "node:http";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { Simulator } from "./server.js";
import { startSimulator } from "./server.js";
import { call, fixtureBytes, parseNdjson, parseSse, requestFor } from "./test-helpers.js";

let simulator: Simulator;
beforeAll(async () => {
  simulator = await startSimulator();
});
afterAll(() => simulator.close());
beforeEach(() => simulator.reset());

const FIVE_WORDS = "one two three four five";

describe("status faults", () => {
  it("sends an OpenAI 429 pretty-printed with Retry-After and retry-after-ms", async () => {
    simulator.program({ behavior: { fault: { kind: "status", status: 429, retryAfter: "3", retryAfterMs: 2500 } } });
    const response = await call(simulator, "openai", { stream: true });
    expect(response.status).toBe(429);
    expect(response.headers.get("retry-after")).toBe("3");
    expect(response.headers.get("retry-after-ms")).toBe("2500");
    const text = await response.text();
    expect(text).toMatch(/^{\n {2}"error": {\n/);
    expect(Object.keys(JSON.parse(text).error)).toEqual(["message", "type", "param", "code"]);
  });

  it("sends Anthropic overload as a compact 529 with request_id", async () => {
    simulator.program({ behavior: { fault: { kind: "status", status: 529 } } });
    const response = await call(simulator, "anthropic", { stream: false });
    expect(response.status).toBe(529);
    const text = await response.text();
    expect(text).not.toContain("\n");
    expect(JSON.parse(text)).toMatchObject({ type: "error", error: { type: "overloaded_error", message: "Overloaded" } });
    expect(JSON.parse(text).request_id).toMatch(/^req_011C/);
  });

  it("puts the Gemini 429 wait in RetryInfo.retryDelay, not in a header", async () => {
    simulator.program({ behavior: { fault: { kind: "status", status: 429, retryAfter: "12" } } });
    const response = await call(simulator, "gemini", { stream: true });
    expect(response.status).toBe(429);
    expect(response.headers.get("retry-after")).toBeNull();
    const body = await response.json();
    expect(body.error).toMatchObject({ code: 429, status: "RESOURCE_EXHAUSTED" });
    expect(body.error.details).toContainEqual({ "@type": "type.googleapis.com/google.rpc.RetryInfo", retryDelay: "12s" });
  });

  it("puts a programmed errorCode in OpenAI's error.code", async () => {
    simulator.program({ behavior: { fault: { kind: "status", status: 429, errorCode: "sk-canary-0001" } } });
    const body = await (await call(simulator, "openai", { stream: false })).json();
    expect(body.error.code).toBe("sk-canary-0001");
  });

  it("defaults the Gemini retryDelay to 7s and sends Ollama errors as a flat string", async () => {
    simulator.program({ vendor: "gemini", behavior: { fault: { kind: "status", status: 429 } } });
    simulator.program({ vendor: "ollama", behavior: { fault: { kind: "status", status: 503 } } });
    const gemini = await (await call(simulator, "gemini", { stream: false })).json();
    expect(JSON.stringify(gemini)).toContain('"retryDelay":"7s"');
    const ollama = await call(simulator, "ollama", { stream: true });
    expect(ollama.status).toBe(503);
    expect(await ollama.json()).toEqual({ error: "server busy, please try again.  maximum pending requests exceeded" });
  });
});

describe("connection faults", () => {
  it("resets the connection before any header", async () => {
    simulator.program({ behavior: { fault: { kind: "reset" } } });
    await expect(call(simulator, "openai", { stream: true })).rejects.toThrow();
    expect(simulator.requests[0].aborted).toBe(false);
  });

  it("hangs without a status or header until the client goes away", async () => {
    simulator.program({ behavior: { fault: { kind: "hang" } } });
    const controller = new AbortController();
    const responded = call(simulator, "anthropic", { stream: true, signal: controller.signal }).then(
      () => "responded",
      () => "aborted",
    );
    await simulator.waitForRequests(1);
    await new Promise((resolve) => setTimeout(resolve, 200));
    const during = simulator.connections();
    expect(during.busy).toBe(1);
    expect(during.unused).toBe(0);
    controller.abort();
    expect(await responded).toBe("aborted");
    await until(() => simulator.requests[0].aborted, 1_000);
    // The aborted request's connection closes; idle keep-alive ones from earlier tests may stay, and the
    // client may open a spare one at once (counted as unused).
    const used = ({ open, unused }: { open: number; unused: number }): number => open - unused;
    await until(() => used(simulator.connections()) <= used(during) - 1, 1_000);
    expect(simulator.connections().busy).toBe(0);
  });

  it("sends the headers, then waits firstContentDelayMs before the first content event", async () => {
    simulator.program({ behavior: { text: FIVE_WORDS, firstContentDelayMs: 300 } });
    const began = Date.now();
    const response = await call(simulator, "gemini", { stream: true });
    const headersAfterMs = Date.now() - began;
    const text = await response.text();
    expect(headersAfterMs).toBeLessThan(150);
    expect(Date.now() - began).toBeGreaterThanOrEqual(290);
    expect(parseSse(text).map((e) => JSON.parse(e.data).candidates[0].content.parts[0].text).join("")).toBe(FIVE_WORDS);
  });

  it.each(["openai", "ollama"] as const)("sends a %s stream event that never ends after k events", async (vendor) => {
    simulator.program({ behavior: { text: FIVE_WORDS, fault: { kind: "endless-after", events: 1 } } });
    const response = await call(simulator, vendor, { stream: true });
    const reader = response.body!.getReader();
    let received = Buffer.alloc(0);
    while (received.length < 2 * 1024 * 1024) {
      const { value, done } = await reader.read();
      if (done) break;
      received = Buffer.concat([received, value]);
    }
    await reader.cancel();
    const lastLineEnd = received.lastIndexOf("\n");
    expect(received.length - lastLineEnd).toBeGreaterThan(2 * 1024 * 1024 - 1_000);
    expect(received.subarray(0, lastLineEnd).toString()).toContain("one");
    await until(() => simulator.requests[0].aborted, 1_000);
  });

  it("sends a non-streaming body that never ends, up to maxBytes", async () => {
    simulator.program({ behavior: { fault: { kind: "endless-after", events: 0, maxBytes: 1024 * 1024 } } });
    const response = await call(simulator, "anthropic", { stream: false });
    expect(response.status).toBe(200);
    expect(response.headers.get("content-length")).toBeNull();
    const body = Buffer.from(await response.arrayBuffer());
    expect(body.length).toBeGreaterThanOrEqual(1024 * 1024);
    expect(body.length).toBeLessThan(1024 * 1024 + 70_000);
    expect(() => JSON.parse(body.toString())).toThrow();
  });

  it("cuts a stream after k content events without a terminator", async () => {
    simulator.program({ behavior: { text: FIVE_WORDS, fault: { kind: "cut-after", events: 2 } } });
    const response = await call(simulator, "openai", { stream: true });
    expect(response.status).toBe(200);
    const reader = response.body!.getReader();
    let received = "";
    const error = await (async () => {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) return undefined;
        received += new TextDecoder().decode(value);
      }
    })().catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(Error);
    expect(parseSse(received).map((e) => JSON.parse(e.data).choices[0].delta.content)).toEqual(["", "one", " two"]);
    expect(simulator.requests[0].aborted).toBe(false);
  });

  it("ends a stream cleanly after k content events without [DONE], message_stop or done:true", async () => {
    simulator.program({ behavior: { text: FIVE_WORDS, fault: { kind: "eof-after", events: 2 } } });
    const openai = parseSse(await (await call(simulator, "openai", { stream: true })).text());
    expect(openai.map((e) => JSON.parse(e.data).choices[0].delta.content)).toEqual(["", "one", " two"]);
    const anthropic = parseSse(await (await call(simulator, "anthropic", { stream: true })).text());
    expect(anthropic.map((e) => e.event)).not.toContain("message_stop");
    const gemini = parseSse(await (await call(simulator, "gemini", { stream: true })).text());
    expect(gemini.map((e) => JSON.parse(e.data).candidates[0].finishReason)).toEqual([undefined, undefined]);
    const ollama = parseNdjson(await (await call(simulator, "ollama", { stream: true })).text());
    expect(ollama.map((line) => line.done)).toEqual([false, false]);
  });

  it("stalls after k events and records the client abort within 100 ms", async () => {
    simulator.program({ behavior: { text: FIVE_WORDS, fault: { kind: "stall-after", events: 1 } } });
    const { path, body } = requestFor("ollama", { stream: true });
    const abortedAt = await new Promise<number>((resolve, reject) => {
      const req = http.request(`${simulator.url}${path}`, { method: "POST" }, (res) => {
        res.once("data", (chunk: Buffer) => {
          expect(chunk.toString()).toContain('"content":"one"');
          // Give the simulator time to reach the stall, then go away as a client would.
          setTimeout(() => {
            resolve(Date.now());
            req.destroy();
          }, 20);
        });
      });
      req.on("error", () => undefined);
      req.on("close", () => undefined);
      req.end(JSON.stringify(body));
      setTimeout(() => reject(new Error("no first event")), 2_000);
    });
    await until(() => simulator.requests[0].aborted, 1_000);
    expect(simulator.requests[0].abortedAt! - abortedAt).toBeLessThan(100);
    expect(simulator.requests[0].finishedAt).toBeUndefined();
  });

  it("sends a malformed event after k events, then ends", async () => {
    simulator.program({ behavior: { text: FIVE_WORDS, fault: { kind: "malformed-after", events: 1 } } });
    const events = parseSse(await (await call(simulator, "anthropic", { stream: true })).text());
    expect(() => JSON.parse(events.at(-1)!.data)).toThrow();
    expect(() => JSON.parse(events.at(-2)!.data)).not.toThrow();
  });
});

describe("in-band error events", () => {
  it("sends Anthropic event: error overloaded_error and no message_stop, with status 200", async () => {
    simulator.program({ behavior: { text: FIVE_WORDS, fault: { kind: "error-event-after", events: 2 } } });
    const response = await call(simulator, "anthropic", { stream: true });
    expect(response.status).toBe(200);
    const events = parseSse(await response.text());
    expect(events.at(-1)!.event).toBe("error");
    expect(JSON.parse(events.at(-1)!.data)).toMatchObject({ type: "error", error: { details: null, type: "overloaded_error" } });
    expect(events.map((e) => e.event)).not.toContain("message_stop");
  });

  it("sends the OpenAI, Gemini and Ollama in-band error shapes", async () => {
    simulator.program({ behavior: { text: FIVE_WORDS, fault: { kind: "error-event-after", events: 1, message: "boom" } } });
    const openai = parseSse(await (await call(simulator, "openai", { stream: true })).text());
    expect(JSON.parse(openai.at(-1)!.data).error).toMatchObject({ message: "boom" });
    const gemini = parseSse(await (await call(simulator, "gemini", { stream: true })).text());
    expect(JSON.parse(gemini.at(-1)!.data)).toEqual({ error: { code: 503, message: "boom", status: "UNAVAILABLE" } });
    const ollama = parseNdjson(await (await call(simulator, "ollama", { stream: true })).text());
    expect(ollama.at(-1)).toEqual({ error: "boom" });
  });
});

describe("rules, fixtures and the control API", () => {
  it("applies a times rule to the next N matching requests, newest rule first", async () => {
    simulator.setDefault({ text: "default" });
    simulator.program({ vendor: "openai", behavior: { text: "older" } });
    simulator.program({ vendor: "openai", model: "gpt-4.1", behavior: { text: "twice" }, times: 2 });
    const texts: string[] = [];
    for (let i = 0; i < 3; i += 1) texts.push((await (await call(simulator, "openai", { stream: false })).json()).choices[0].message.content);
    expect(texts).toEqual(["twice", "twice", "older"]);
    expect((await (await call(simulator, "ollama", { stream: false })).json()).message.content).toBe("default");
  });

  it.each([
    ["openai", "openai/chat-stream-tool-call.sse", true],
    ["anthropic", "anthropic/messages-stream-text.sse", true],
    ["gemini", "gemini/streamGenerateContent-text.sse", true],
    ["ollama", "ollama/chat-stream.ndjson", true],
    ["openai", "openai/error-400-unsupported-parameter.json", false],
  ] as const)("replays %s fixture %s byte-exact", async (vendor, fixture, stream) => {
    simulator.program({ behavior: { fixture } });
    const response = await call(simulator, vendor, { stream });
    expect(response.status).toBe(fixture.includes("error-400") ? 400 : 200);
    expect(Buffer.from(await response.arrayBuffer()).equals(fixtureBytes(fixture))).toBe(true);
  });

  it("is driven over HTTP: rules, default, requests and reset", async () => {
    const control = (path: string, body?: unknown) =>
      fetch(`${simulator.url}/__sim/${path}`, { method: body === undefined ? "GET" : "POST", body: body === undefined ? undefined : JSON.stringify(body) });
    expect((await control("rules", { vendor: "anthropic", behavior: { text: "via http" }, times: 1 })).status).toBe(200);
    expect((await control("default", { text: "fallback" })).status).toBe(200);
    expect((await (await call(simulator, "anthropic", { stream: false })).json()).content[0].text).toBe("via http");
    expect((await (await call(simulator, "anthropic", { stream: false })).json()).content[0].text).toBe("fallback");
    const recorded = await (await control("requests")).json();
    expect(recorded.map((r: { vendor: string }) => r.vendor)).toEqual(["anthropic", "anthropic"]);
    expect(recorded[0].headers.authorization).toBe("[redacted:18]");
    expect((await control("rules", { behavior: { fault: { kind: "explode" } } })).status).toBe(400);
    await control("reset", {});
    expect(simulator.requests).toHaveLength(0);
  });

  it("waits for requests and keeps connections alive between them", async () => {
    const agent = new http.Agent({ keepAlive: true });
    const reused: boolean[] = [];
    for (let i = 0; i < 2; i += 1) {
      const { status, reusedSocket } = await rawPost(agent, "openai", false);
      expect(status).toBe(200);
      reused.push(reusedSocket);
    }
    await simulator.waitForRequests(2, 500);
    expect(reused).toEqual([false, true]);
    agent.destroy();
  });

  it("splits a multi-byte UTF-8 character across two writes", async () => {
    simulator.program({ behavior: { text: "héllo wörld", splitUtf8: true } });
    const { chunks } = await rawPost(undefined, "ollama", true);
    const endsMidCharacter = chunks.some((chunk) => (chunk[chunk.length - 1] & 0xc0) === 0xc0);
    expect(endsMidCharacter).toBe(true);
    expect(parseNdjson(Buffer.concat(chunks).toString("utf8")).map((l) => (l.message as { content: string }).content).join("")).toBe("héllo wörld");
  });
});

function rawPost(agent: http.Agent | undefined, vendor: "openai" | "ollama", stream: boolean): Promise<{ status: number; reusedSocket: boolean; chunks: Buffer[] }> {
  const { path, body } = requestFor(vendor, { stream });
  return new Promise((resolve, reject) => {
    const req = http.request(`${simulator.url}${path}`, { method: "POST", agent, headers: { "content-type": "application/json" } }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (chunk: Buffer) => chunks.push(chunk));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, reusedSocket: req.reusedSocket, chunks }));
      res.on("error", reject);
    });
    req.on("error", reject);
    req.end(JSON.stringify(body));
  });
}

async function until(condition: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
