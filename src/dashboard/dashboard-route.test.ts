import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createDashboardRoute } from "./dashboard-route.js";

describe("dashboard route", () => {
  let server: Server;
  let base: string;

  beforeAll(async () => {
    const route = createDashboardRoute();
    server = createServer((request, response) => {
      if (route(request, response)) return;
      response.writeHead(418);
      response.end("fell through");
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it("serves the page at /dashboard with a same-origin content security policy", async () => {
    const response = await fetch(`${base}/dashboard`);
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("text/html; charset=utf-8");
    expect(response.headers.get("content-security-policy")).toContain("default-src 'self'");
    expect(await response.text()).toContain('src="/dashboard/dashboard.js"');
  });

  it("serves the bundled script (connect-web and uPlot inside) and the stylesheets", async () => {
    const script = await fetch(`${base}/dashboard/dashboard.js`);
    expect(script.headers.get("content-type")).toBe("text/javascript; charset=utf-8");
    const text = await script.text();
    expect(text.includes("probe in "), "the bundle holds the app code").toBe(true);
    expect(text.includes("u-legend"), "and uPlot").toBe(true);
    expect(text.includes("application/connect+json"), "and connect-web").toBe(true);
    const style = await fetch(`${base}/dashboard/dashboard.css`);
    expect(style.headers.get("content-type")).toBe("text/css; charset=utf-8");
    const css = await style.text();
    expect(css.includes(".uplot"), "uPlot's stylesheet comes first").toBe(true);
    expect(css.includes(".breaker"), "then the dashboard's").toBe(true);
  }, 20_000);

  it("answers HEAD without a body", async () => {
    const response = await fetch(`${base}/dashboard`, { method: "HEAD" });
    expect(response.status).toBe(200);
    expect(await response.text()).toBe("");
  });

  it("answers 404 for unknown paths under /dashboard and 405 for other methods", async () => {
    expect((await fetch(`${base}/dashboard/secrets.txt`)).status).toBe(404);
    const post = await fetch(`${base}/dashboard`, { method: "POST", body: "x" });
    expect(post.status).toBe(405);
    expect(post.headers.get("allow")).toBe("GET, HEAD");
  });

  it("leaves other paths to the next handler", async () => {
    expect((await fetch(`${base}/dashboards`)).status).toBe(418);
    expect((await fetch(`${base}/`)).status).toBe(418);
  });
});
