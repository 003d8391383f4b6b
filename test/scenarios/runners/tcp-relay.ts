/**
 * A loopback TCP relay in front of a gateway that can cut every connection it carries: the network
 * failing under a call, for the resume tests. New connections are relayed as before.
 */
import { connect, createServer, type AddressInfo, type Socket } from "node:net";

export interface TcpRelay {
  /** "http://127.0.0.1:PORT": use it instead of the gateway's URL. */
  readonly url: string;
  cutAll(): void;
  close(): Promise<void>;
}

/** Relays 127.0.0.1:<port 0> to the host and port of `targetUrl`. */
export async function startTcpRelay(targetUrl: string): Promise<TcpRelay> {
  const target = new URL(targetUrl);
  const sockets = new Set<Socket>();
  const server = createServer((client) => {
    const upstream = connect(Number(target.port), target.hostname);
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on("error", () => undefined);
      socket.on("close", () => sockets.delete(socket));
    }
    client.pipe(upstream).pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const cutAll = (): void => {
    for (const socket of sockets) socket.destroy();
  };
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    cutAll,
    close: () =>
      new Promise<void>((resolve) => {
        cutAll();
        server.close(() => resolve());
      }),
  };
}
