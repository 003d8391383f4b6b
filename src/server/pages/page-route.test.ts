/** Both pages the gateway serves, through the one page route: assets, headers, HEAD, 404/405, fall-through. */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createDashboardRoute } from "../../dashboard/dashboard-route.js";
import { createPlaygroundRoute } from "../../playground/playground-route.js";
import type { PageRoute } from "./page-route.js";

const pages: { name: string; create: () => PageRoute; inScript: string[]; inStyle: string[] }[] = [
  // App code and connect-web in the bundle.
  { name: "playground", create: createPlaygroundRoute, inScript: ["served by ", "application/connect+json"], inStyle: [] },
  // App code, uPlot and connect-web; uPlot's stylesheet first, then the dashboard's.
  { name: "dashboard", create: createDashboardRoute, inScript: ["probe in ", "u-legend", "application/connect+json"], inStyle: [".uplot", ".breaker"] },
];

describe.each(pages)("the $name page", ({ name, create, inScript, inStyle }) => {
  let server: Server;
  let base: string;

  beforeAll(async () => {
    const route = create();
    server = createServer((request, response) => {
      if (route(request, response)) return;
      response.writeHead(418);
      response.end("fell through");
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it("serves the page with a same-origin content security policy", async () => {
    const response = await fetch(`${base}/${name}`);
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("text/html; charset=utf-8");
    expect(response.headers.get("content-security-policy")).toContain("default-src 'self'");
    expect(await response.text()).toContain(`src="/${name}/${name}.js"`);
  });

  it("serves the bundled script and the stylesheet", async () => {
    const script = await fetch(`${base}/${name}/${name}.js`);
    expect(script.headers.get("content-type")).toBe("text/javascript; charset=utf-8");
    const text = await script.text();
    for (const marker of inScript) expect(text.includes(marker), `the bundle holds ${marker}`).toBe(true);
    const style = await fetch(`${base}/${name}/${name}.css`);
    expect(style.headers.get("content-type")).toBe("text/css; charset=utf-8");
    const css = await style.text();
    const positions = inStyle.map((marker) => css.indexOf(marker));
    expect(positions.every((position) => position >= 0)).toBe(true);
    expect([...positions].sort((a, b) => a - b)).toEqual(positions);
  });

  it("answers HEAD without a body", async () => {
    const response = await fetch(`${base}/${name}`, { method: "HEAD" });
    expect(response.status).toBe(200);
    expect(await response.text()).toBe("");
  });

  it("answers 404 for unknown paths under the page and 405 for other methods", async () => {
    expect((await fetch(`${base}/${name}/secrets.txt`)).status).toBe(404);
    const post = await fetch(`${base}/${name}`, { method: "POST", body: "x" });
    expect(post.status).toBe(405);
    expect(post.headers.get("allow")).toBe("GET, HEAD");
  });

  it("leaves other paths to the next handler", async () => {
    expect((await fetch(`${base}/${name}s`)).status).toBe(418);
    expect((await fetch(`${base}/`)).status).toBe(418);
  });
});
