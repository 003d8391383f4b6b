import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import type { ReloadOutcome } from "../config/config-reloader.js";
import { capturingLogger } from "../routing/testing/engine-fixture.js";
import { createAdminReloadRoute } from "./admin-reload-route.js";

const token = "s3cret-admin-token-0123";
let server: Server | undefined;

afterEach(async () => {
  await new Promise((resolve) => server?.close(resolve));
  server = undefined;
});

/** Serves the route (404 for what it does not handle) and returns its base URL. */
async function serve(options: { token?: string; outcome?: ReloadOutcome }) {
  const { logger, lines } = capturingLogger();
  let reloads = 0;
  const route = createAdminReloadRoute({
    token: () => options.token,
    reload: () => {
      reloads++;
      return Promise.resolve(options.outcome ?? { status: "applied", needsRestart: [] });
    },
    logger,
  });
  server = createServer((request, response) => {
    if (!route(request, response)) response.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server?.listen(0, "127.0.0.1", resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/admin/reload`;
  return { url, lines, reloads: () => reloads };
}

const post = (url: string, authorization?: string): Promise<Response> =>
  fetch(url, { method: "POST", headers: authorization === undefined ? {} : { authorization } });

describe("createAdminReloadRoute", () => {
  it("does not exist without an admin token", async () => {
    const { url, reloads } = await serve({ token: undefined });
    expect((await post(url, `Bearer ${token}`)).status).toBe(404);
    const empty = await serve({ token: "" });
    expect((await post(empty.url, "Bearer ")).status).toBe(404);
    expect(reloads()).toBe(0);
  });

  it("refuses a missing or wrong token without reloading and without logging the token", async () => {
    const { url, reloads, lines } = await serve({ token });
    expect((await post(url)).status).toBe(401);
    const wrong = await post(url, "Bearer wrong-token-wrong-token");
    expect(wrong.status).toBe(401);
    expect(wrong.headers.get("www-authenticate")).toContain("Bearer");
    expect(reloads()).toBe(0);
    expect(JSON.stringify(lines)).not.toContain("wrong-token");
    expect(JSON.stringify(lines)).not.toContain(token);
  });

  it("accepts only POST", async () => {
    const { url } = await serve({ token });
    const response = await fetch(url, { headers: { authorization: `Bearer ${token}` } });
    expect(response.status).toBe(405);
    expect(response.headers.get("allow")).toBe("POST");
  });

  it("reloads and says the new config was applied", async () => {
    const { url, reloads } = await serve({ token, outcome: { status: "applied", needsRestart: ["server.port"] } });
    const response = await post(url, `Bearer ${token}`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ applied: true, status: "applied", needsRestart: ["server.port"] });
    expect(reloads()).toBe(1);
  });

  it("lists the problems of a refused config with 422", async () => {
    const problems = ["modelgate.yaml: aliases.chat.tiers[0][0]: unknown deployment \"x\" (known: a)"];
    const { url } = await serve({ token, outcome: { status: "refused", problems } });
    const response = await post(url, `bearer ${token}`);
    expect(response.status).toBe(422);
    expect(await response.json()).toEqual({ applied: false, status: "refused", problems });
  });
});
