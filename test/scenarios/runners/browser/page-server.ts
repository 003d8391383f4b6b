/**
 * A tiny static server for the runner page, on its own port: the page's origin differs from the
 * gateway's, so every call is cross-origin and the gateway's CORS (preflights, exposed headers for
 * gRPC-Web trailers-only errors) is really exercised.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";

export interface PageServer {
  /** "http://127.0.0.1:PORT", the page's origin. */
  readonly origin: string;
  close(): Promise<void>;
}

const PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>modelgate browser scenario runner</title>
<script type="module" src="/runner.js"></script></head>
<body><p>modelgate browser scenario runner</p></body></html>
`;

/** Serves `/` (the page) and `/runner.js` (the bundle) on 127.0.0.1, port 0. */
export async function startPageServer(runnerJs: string): Promise<PageServer> {
  const server: Server = createServer((request, response) => {
    const path = (request.url ?? "/").split("?", 1)[0];
    if (path === "/") {
      response.writeHead(200, { "content-type": "text/html; charset=utf-8", "cache-control": "no-store" });
      response.end(PAGE);
    } else if (path === "/runner.js") {
      response.writeHead(200, { "content-type": "text/javascript; charset=utf-8", "cache-control": "no-store" });
      response.end(runnerJs);
    } else {
      response.writeHead(404, { "content-type": "text/plain; charset=utf-8" });
      response.end("not found\n");
    }
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    origin: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
