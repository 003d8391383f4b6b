/** CORS over the real server: allowed origins get the headers, others get none, preflights answer. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestServer, type TestServer } from "./start-test-server.js";

describe("CORS", () => {
  let test: TestServer;
  const rpc = (): string => `${test.server.url}/modelgate.v1.GatewayService/Complete`;
  const body = JSON.stringify({ model: "echo", messages: [{ role: "ROLE_USER", parts: [{ text: "hi" }] }] });

  beforeAll(async () => {
    test = await startTestServer({ cors: { allowedOrigins: ["https://app.example.com"] } });
  });
  afterAll(async () => {
    await test.server.close(0);
  });

  it("allows a listed origin and exposes the headers clients need", async () => {
    const response = await fetch(rpc(), {
      method: "POST",
      headers: { origin: "https://app.example.com", "content-type": "application/json" },
      body,
    });
    expect(response.status).toBe(200);
    expect(response.headers.get("access-control-allow-origin")).toBe("https://app.example.com");
    const exposed = response.headers.get("access-control-expose-headers") ?? "";
    expect(exposed).toContain("Grpc-Status");
    expect(exposed).toContain("x-request-id");
  });

  it("sends no Access-Control-Allow-Origin to an origin that is not listed", async () => {
    const response = await fetch(rpc(), {
      method: "POST",
      headers: { origin: "https://evil.example.net", "content-type": "application/json" },
      body,
    });
    expect(response.headers.get("access-control-allow-origin")).toBeNull();
  });

  it("answers a preflight from a listed origin with the allowed methods and headers", async () => {
    const callsBefore = test.engine.calls.length;
    const response = await fetch(rpc(), {
      method: "OPTIONS",
      headers: {
        origin: "https://app.example.com",
        "access-control-request-method": "POST",
        "access-control-request-headers": "content-type,connect-protocol-version,x-grpc-web",
      },
    });
    expect(response.status).toBe(204);
    expect(response.headers.get("access-control-allow-origin")).toBe("https://app.example.com");
    expect(response.headers.get("access-control-allow-methods")).toContain("POST");
    const allowed = (response.headers.get("access-control-allow-headers") ?? "").toLowerCase();
    for (const header of ["content-type", "connect-protocol-version", "x-grpc-web", "x-request-id"]) expect(allowed).toContain(header);
    expect(test.engine.calls).toHaveLength(callsBefore);
  });

  it("answers a preflight from an unlisted origin without CORS headers", async () => {
    const response = await fetch(rpc(), {
      method: "OPTIONS",
      headers: { origin: "https://evil.example.net", "access-control-request-method": "POST" },
    });
    expect(response.status).toBe(204);
    expect(response.headers.get("access-control-allow-origin")).toBeNull();
    expect(response.headers.get("access-control-allow-methods")).toBeNull();
  });
});
