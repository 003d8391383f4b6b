import { Writable } from "node:stream";
import { describe, expect, it } from "vitest";
import { createLogger } from "./logger.js";
import { redactSecrets } from "./redact-secrets.js";

function capture() {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk, _encoding, callback) {
      lines.push(...String(chunk).split("\n").filter(Boolean));
      callback();
    },
  });
  return { lines, destination, text: () => lines.join("\n") };
}

const canary = "sk-CANARY-7f3a";

describe("createLogger", () => {
  it("redacts secret keys in any casing and at any depth", () => {
    const out = capture();
    const logger = createLogger({ level: "info", destination: out.destination });
    logger.info(
      {
        headers: { Authorization: `Bearer ${canary}`, "X-API-KEY": canary, "x-goog-api-key": canary, Cookie: canary },
        upstream: { request: { init: { headers: { "Proxy-Authorization": canary, "API-Key": canary } } } },
        provider: { ApiKey: canary, API_KEY: canary, apikey: canary },
        list: [{ authorization: canary }],
        model: "gpt-4.1-mini",
      },
      "calling upstream",
    );
    expect(out.text()).not.toContain(canary);
    const line = JSON.parse(out.lines[0]);
    expect(line.headers.Authorization).toBe("[REDACTED]");
    expect(line.upstream.request.init.headers["API-Key"]).toBe("[REDACTED]");
    expect(line.model).toBe("gpt-4.1-mini");
    expect(line.msg).toBe("calling upstream");
  });

  it("redacts secrets inside error objects and their causes", () => {
    const out = capture();
    const logger = createLogger({ level: "info", destination: out.destination });
    const cause = Object.assign(new Error("401 from vendor"), { requestHeaders: { AUTHORIZATION: `Bearer ${canary}` } });
    const error = Object.assign(new Error("upstream failed", { cause }), { config: { apiKey: canary } });
    logger.error({ err: error }, "attempt failed");
    logger.error(error);
    logger.error({ error }, "under another key");
    expect(out.text()).not.toContain(canary);
    const line = JSON.parse(out.lines[0]);
    expect(line.err.message).toContain("upstream failed");
    expect(line.err.config.apiKey).toBe("[REDACTED]");
    const other = JSON.parse(out.lines[2]);
    expect(other.error.message).toBe("upstream failed");
    expect(other.error.cause.requestHeaders.AUTHORIZATION).toBe("[REDACTED]");
    expect(JSON.parse(out.lines[1]).err.message).toContain("upstream failed");
  });

  it("redacts secrets in child logger bindings", () => {
    const out = capture();
    const logger = createLogger({ level: "info", destination: out.destination }).child({ Api_Key: canary, requestId: "r1" });
    logger.info("hello");
    logger.child({ nested: { Cookie: canary } }).info("grandchild");
    expect(out.text()).not.toContain(canary);
    expect(JSON.parse(out.lines[0]).requestId).toBe("r1");
  });

  it("writes nothing below the configured level", () => {
    const out = capture();
    const logger = createLogger({ level: "info", destination: out.destination });
    logger.debug({ prompt: "tell me a secret" }, "prompt");
    expect(out.lines).toHaveLength(0);
  });
});

describe("redactSecrets", () => {
  it("survives cycles and leaves other values alone", () => {
    const value: Record<string, unknown> = { name: "x", count: 3 };
    value.self = value;
    expect(redactSecrets(value)).toEqual({ name: "x", count: 3, self: "[Circular]" });
  });

  it("scrubs fetch Headers and Maps", () => {
    const headers = new Headers({ Authorization: canary, "content-type": "application/json" });
    expect(redactSecrets({ headers, map: new Map([["X-Api-Key", canary]]) })).toEqual({
      headers: { authorization: "[REDACTED]", "content-type": "application/json" },
      map: { "X-Api-Key": "[REDACTED]" },
    });
  });
});
